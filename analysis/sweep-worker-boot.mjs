// Piscina entry point for sweep workers: registers tsx's ESM loader in this worker thread, then
// loads the TypeScript worker. (On Node 20, `execArgv: ['--import', 'tsx']` does not reliably
// cover dynamic imports made inside a worker thread; registering here does.)
import { register } from 'tsx/esm/api';

register();
const mod = await import('./sweep-worker.ts');
export default mod.default;
