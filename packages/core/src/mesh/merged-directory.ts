import {
  BehaviorSubject,
  combineLatest,
  distinctUntilChanged,
  map,
  type Observable,
  of,
  switchMap,
} from 'rxjs'
import { type NodeRef, sameNodeLists } from '../protocol/packets.js'
import type { ServiceDirectory } from '../transport/transporter.js'

/**
 * The union of every registered transporter's directory: a node seen through two relays is one
 * entry. Directories registered later join existing watches.
 */
export class MergedDirectory implements ServiceDirectory {
  #directories = new BehaviorSubject<ServiceDirectory[]>([])
  /** Services declared so far (transporters registered later learn them). */
  readonly #interest = new Set<string>()

  add(directory: ServiceDirectory): void {
    // A transporter registered later learns the interest declared before it came.
    for (const service of this.#interest) directory.declareInterest?.(service)
    this.#directories.next([...this.#directories.value, directory])
  }

  remove(directory: ServiceDirectory): void {
    this.#directories.next(this.#directories.value.filter((d) => d !== directory))
  }

  declareInterest(service: string): void {
    this.#interest.add(service)
    for (const directory of this.#directories.value) directory.declareInterest?.(service)
  }

  watchService(service: string): Observable<NodeRef[]> {
    return this.#directories.pipe(
      switchMap((dirs) =>
        dirs.length === 0
          ? of([])
          : combineLatest(dirs.map((d) => d.watchService(service))).pipe(map(mergeNodes)),
      ),
      distinctUntilChanged(sameNodeLists),
    )
  }

  listNodes(service: string): NodeRef[] {
    return mergeNodes(this.#directories.value.map((d) => d.listNodes(service)))
  }
}

function mergeNodes(lists: NodeRef[][]): NodeRef[] {
  if (lists.length === 1) return lists[0]!
  const byId = new Map<string, NodeRef>()
  for (const list of lists) {
    for (const node of list) {
      const seen = byId.get(node.node_id)
      if (!seen) byId.set(node.node_id, node)
      else byId.set(node.node_id, { ...seen, services: [...new Set([...seen.services, ...node.services])] })
    }
  }
  return [...byId.values()]
}
