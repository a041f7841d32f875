import { afterEach, describe, expect, test } from 'bun:test'
import { Microservice } from '../api/microservice.js'
import { RemoteServiceLinker } from '../api/remote-service-linker.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { silentLogger } from './logger.js'
import { SpiderMesh } from './spider-mesh.js'

const meshes: SpiderMesh[] = []
const mesh = (nodeId: string, bus: InProcessTransporter) => {
  const m = new SpiderMesh({ nodeId, logger: silentLogger }).registerTransporter(bus)
  meshes.push(m)
  return m
}
afterEach(async () => {
  await Promise.all(meshes.splice(0).map((m) => m.close()))
})
const settle = () => new Promise((r) => setTimeout(r, 5))

@Microservice()
class Greeting {
  hello(name: string) {
    return `hello ${name}`
  }
}

describe('@Microservice', () => {
  test('the service name defaults to the class name; { name } overrides it', () => {
    @Microservice({ name: 'custom-name' })
    class Renamed {}
    const bus = new InProcessTransporter()
    const m = mesh('m', bus)
    void m.provide(new Renamed())
    void m.provide(new Greeting())
    return settle().then(() => expect(m.services.sort()).toEqual(['Greeting', 'custom-name']))
  })
  test('new Service() alone serves it on the process mesh; provide() claims it for another', async () => {
    const bus = new InProcessTransporter()
    const first = mesh('first', bus)
    const second = mesh('second', bus)
    new Greeting()
    await second.provide(new Greeting())
    await settle()
    expect(first.services).toEqual(['Greeting'])
    expect(second.services).toEqual(['Greeting'])
    const proxy = RemoteServiceLinker.link<Greeting>(second, { service: 'Greeting', node_id: 'first' })
    expect(await proxy.hello('x')).toBe('hello x')
  })
  test('an instance constructed before any mesh is served by the first mesh created', async () => {
    // Close every mesh so there is no process mesh, then construct first.
    await Promise.all(meshes.splice(0).map((m) => m.close()))
    const instance = new Greeting()
    await settle()
    const m = mesh('late', new InProcessTransporter())
    await settle()
    expect(m.services).toEqual(['Greeting'])
    void instance
  })
  test('warmUp() runs before the service is announced', async () => {
    const order: string[] = []
    @Microservice()
    class Warm {
      async warmUp() {
        await settle()
        order.push('warm')
      }
      ping() {
        return 'pong'
      }
    }
    const bus = new InProcessTransporter()
    const m = mesh('warm', bus)
    const done = m.provide(new Warm()).then(() => order.push('announced'))
    expect(m.services).toEqual([])
    await done
    expect(order).toEqual(['warm', 'announced'])
    expect(m.services).toEqual(['Warm'])
  })
  test('a failing warmUp() rejects provide() and serves nothing', async () => {
    @Microservice()
    class Cold {
      warmUp() {
        throw new Error('no database')
      }
    }
    const m = mesh('cold', new InProcessTransporter())
    await expect(m.provide(new Cold())).rejects.toThrow('no database')
    expect(m.services).toEqual([])
  })
  test('two instances of one service on one mesh: ALREADY_REGISTERED', async () => {
    const m = mesh('dup', new InProcessTransporter())
    await m.provide(new Greeting())
    await expect(m.provide(new Greeting())).rejects.toMatchObject({ code: ErrorCode.ALREADY_REGISTERED })
  })
  test('provide() of something that is not a service: INVALID_OPTION', async () => {
    const m = mesh('bad', new InProcessTransporter())
    await expect(m.provide({})).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })
  })
  test("a closed mesh forgets its transporters' directories", async () => {
    const bus = new InProcessTransporter()
    const provider = mesh('p', bus)
    const watcher = mesh('w', bus)
    await provider.provide(new Greeting())
    expect(watcher.listNodes('Greeting').map((n) => n.node_id)).toEqual(['p'])
    await watcher.close()
    expect(watcher.listNodes('Greeting')).toEqual([])
  })
  test('unprovide() stops serving', async () => {
    const bus = new InProcessTransporter()
    const m = mesh('p', bus)
    const caller = mesh('c', bus)
    const instance = new Greeting()
    await m.provide(instance)
    m.unprovide(instance)
    const proxy = RemoteServiceLinker.link<Greeting>(caller, { service: 'Greeting' })
    await expect(Promise.resolve(proxy.hello('x'))).rejects.toMatchObject({
      code: ErrorCode.MICROSERVICE_OFFLINE,
    })
  })
  test('inherited methods of a base service are callable; Object methods are not', async () => {
    class Base {
      base() {
        return 'base'
      }
    }
    @Microservice()
    class Derived extends Base {
      own() {
        return 'own'
      }
    }
    const bus = new InProcessTransporter()
    const m = mesh('p', bus)
    const caller = mesh('c', bus)
    await m.provide(new Derived())
    const proxy = RemoteServiceLinker.link<Derived>(caller, { service: 'Derived' })
    expect(await proxy.own()).toBe('own')
    expect(await proxy.base()).toBe('base')
    await expect(Promise.resolve(RemoteServiceLinker.invoke(proxy, 'isPrototypeOf'))).rejects.toMatchObject({
      code: ErrorCode.MICROSERVICE_NOT_FOUND,
    })
  })
  test('#private methods are not callable', async () => {
    @Microservice()
    class Secretive {
      #secret() {
        return 's'
      }
      open() {
        return this.#secret()
      }
    }
    const bus = new InProcessTransporter()
    const m = mesh('p', bus)
    const caller = mesh('c', bus)
    await m.provide(new Secretive())
    const proxy = RemoteServiceLinker.link<Secretive>(caller, { service: 'Secretive' })
    expect(await proxy.open()).toBe('s')
    await expect(Promise.resolve(RemoteServiceLinker.invoke(proxy, '#secret'))).rejects.toMatchObject({
      code: ErrorCode.MICROSERVICE_NOT_FOUND,
    })
  })
  test('a bad name option: INVALID_OPTION', () => {
    expect(() => Microservice({ name: '' })(class {})).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
  })
})
