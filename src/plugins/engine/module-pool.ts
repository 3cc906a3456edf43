/**
 * The pool of QuickJS WebAssembly modules that a sandbox thread runs its plugin calls in (a thread
 * runs one call at a time, so its pool holds one module; the pool replaces it when it fails).
 *
 * An asyncified module can have only one suspended host call at a time across all its runtimes
 * and contexts ("Multiple concurrent async actions is an error", quickjs-emscripten's
 * QuickJSAsyncWASMModule docs; a second suspension throws QuickJSAsyncifyError), and one call's
 * memory cap is its module's memory cap. So a module is leased to one call from start to end;
 * up to `maxModules` calls run at once, further calls wait in FIFO order. Modules are reused
 * while healthy; a module whose call ran out of memory, crashed the WebAssembly code, overran the
 * watchdog or grew its memory past half the limit is dropped and replaced on demand.
 */
import { BASE_MEMORY_BYTES, createWasmSandboxModule, type WasmSandboxModule } from './wasm-module.ts';

/** A module on lease; give it back with {@link ModulePool.release}. */
export interface PooledModule extends WasmSandboxModule {
  /** Sequence number, for logs. */
  readonly id: number;
}

/** Counters of a {@link ModulePool}. */
export interface ModulePoolStats {
  /** Modules alive or being created. */
  total: number;
  idle: number;
  /** Calls waiting for a module. */
  waiting: number;
  created: number;
  discarded: number;
}

/** See the file comment. */
export interface ModulePool {
  /**
   * Leases a module, waiting when all `maxModules` are in use.
   * @throws Error when a new module cannot be created.
   */
  acquire(): Promise<PooledModule>;
  /** Returns a lease; `healthy: false` drops the module. Each lease must be released exactly once. */
  release(module: PooledModule, healthy: boolean): void;
  stats(): ModulePoolStats;
}

interface Waiter {
  resolve(module: PooledModule): void;
  reject(error: unknown): void;
}

/**
 * Creates a pool of at most `maxModules` modules instantiated from the compiled binary
 * `wasmModule` (quickjs-binary.ts), each capped at `memoryLimitBytes` of memory over its 16 MiB
 * base and refusing `import()` with the message `importRefusal`. Modules are created lazily.
 */
export function createModulePool(options: { wasmModule: object; maxModules: number; memoryLimitBytes: number; importRefusal: string }): ModulePool {
  const { wasmModule, maxModules, memoryLimitBytes, importRefusal } = options;
  const idle: PooledModule[] = [];
  const waiters: Waiter[] = [];
  let total = 0;
  let created = 0;
  let discarded = 0;
  let nextId = 1;

  async function create(): Promise<PooledModule> {
    const module = await createWasmSandboxModule(wasmModule, memoryLimitBytes, importRefusal);
    created += 1;
    return Object.assign(module, { id: nextId++ });
  }

  /** Creates a module for the next waiter (a slot was freed by a dropped module). */
  function createForWaiter(): void {
    const waiter = waiters.shift();
    if (!waiter) return;
    total += 1;
    create().then(waiter.resolve, (error: unknown) => {
      total -= 1;
      waiter.reject(error);
      createForWaiter();
    });
  }

  return {
    async acquire() {
      const ready = idle.pop();
      if (ready) return ready;
      if (total < maxModules) {
        total += 1;
        try {
          return await create();
        } catch (error) {
          total -= 1;
          createForWaiter();
          throw error;
        }
      }
      return new Promise<PooledModule>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    release(module, healthy) {
      const keep = healthy && module.usedBytes() <= BASE_MEMORY_BYTES + memoryLimitBytes / 2;
      if (keep) {
        const waiter = waiters.shift();
        if (waiter) waiter.resolve(module);
        else idle.push(module);
        return;
      }
      total -= 1;
      discarded += 1;
      createForWaiter();
    },
    stats: () => ({ total, idle: idle.length, waiting: waiters.length, created, discarded }),
  };
}
