/**
 * Imported first by the bench's caller, provider and relay scripts: with BREAKDOWN=1 it installs
 * the probes of BREAKDOWN_KIND (probe.ts) before the packages load. Without it, nothing happens.
 */
import { installProbes } from './probe.js'

installProbes(process.env.BREAKDOWN_KIND)
