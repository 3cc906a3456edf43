/**
 * One QuickJS WebAssembly module (the asyncify build of quickjs-emscripten 0.32) prepared for
 * plugin calls, inside a sandbox thread. Everything that reaches past quickjs-emscripten's public API lives here:
 *
 * - Memory cap. `runtime.setMemoryLimit` only bounds single allocations in this build (QuickJS
 *   counts 8 bytes per allocation because emscripten has no `malloc_usable_size`; upstream issues
 *   quickjs-emscripten#255/#271). So each module gets its own `WebAssembly.Memory` with a
 *   `maximum`: growing past it fails, `malloc` returns NULL and QuickJS throws "out of memory".
 *   Because a module runs one call at a time (see module-pool.ts), that maximum is the call's limit.
 * - One runtime per module. In the asyncify build `module.newContext()` does not make the context
 *   own its runtime (QuickJSAsyncRuntime.newContext drops `ownedLifetimes`), so disposing the
 *   context leaks the whole JSRuntime (~30 KB a call, until the module runs out of memory and
 *   traps); disposing the runtime as well fails in `freeHostRef`. Since a module serves one call at
 *   a time anyway, it keeps a single runtime and each call gets a fresh context in it (separate
 *   realm: own global object and builtins). The runtime is never disposed; a module that is given
 *   up is simply dropped and garbage-collected with its memory.
 * - Pending jobs. `runtime.executePendingJobs()` is synchronous, but promise continuations of an
 *   `async` plugin function may call asyncified host functions (`await x; rustbill_host.http_get()`),
 *   which must be able to suspend the WebAssembly stack. The release build wraps
 *   `QTS_ExecutePendingJob_MaybeAsync` without `{ async: true }` (quickjs-emscripten#239), so it is
 *   wrapped again here with it.
 */
import {
  newQuickJSAsyncWASMModuleFromVariant,
  newVariant,
  RELEASE_ASYNC,
  type JSRuntimePointer,
  type JSValuePointer,
  type QuickJSAsyncContext,
  type QuickJSAsyncRuntime,
  type QuickJSAsyncWASMModule,
} from 'quickjs-emscripten';

const WASM_PAGE = 64 * 1024;
/** The build declares 256 pages (16 MiB) of initial memory: static data, C stack, first heap. */
const BASE_PAGES = 256;
/** The WebAssembly memory a module starts with, in bytes. */
export const BASE_MEMORY_BYTES = BASE_PAGES * WASM_PAGE;

type CwrapOptions = { async: boolean };
type Cwrap = (name: string, returnType: string, argTypes: string[], options: CwrapOptions) => unknown;

interface EmscriptenSubset {
  cwrap: Cwrap;
  _malloc(size: number): number;
}

function isEmscriptenSubset(value: unknown): value is EmscriptenSubset {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'cwrap') === 'function' &&
    typeof Reflect.get(value, '_malloc') === 'function'
  );
}

/** The parts of the `WebAssembly` global used here (the project's `lib` has no DOM/WebAssembly types). */
interface WasmMemory {
  readonly buffer: { readonly byteLength: number };
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasm: WasmApi = Reflect.get(globalThis, 'WebAssembly');

/** A QuickJS module with a memory cap, its one runtime, and an asyncify-aware job runner. */
export interface WasmSandboxModule {
  readonly quickjs: QuickJSAsyncWASMModule;
  /** The module's only runtime; calls create their contexts in it. */
  readonly runtime: QuickJSAsyncRuntime;
  /** The module's WebAssembly memory cap in bytes (base + the per-call limit). */
  readonly maxBytes: number;
  /** The module's current WebAssembly memory size in bytes (it only grows). */
  usedBytes(): number;
  /** A fresh context (realm) in the module's runtime; dispose it after draining its jobs. */
  newContext(): QuickJSAsyncContext;
  /**
   * Runs up to `maxJobs` pending promise jobs of the runtime; jobs may suspend in asyncified host
   * functions. A job that throws (an uncatchable interrupt, say) does not stop the batch; callers
   * look at their promise's state afterwards.
   */
  runPendingJobs(maxJobs: number): Promise<void>;
}

function runtimePointer(runtime: QuickJSAsyncRuntime): JSRuntimePointer {
  const lifetime: unknown = Reflect.get(runtime, 'rt');
  const pointer: unknown = typeof lifetime === 'object' && lifetime !== null ? Reflect.get(lifetime, 'value') : undefined;
  if (typeof pointer !== 'number') throw new Error('quickjs-emscripten runtime pointer not found (unsupported version)');
  return pointer as JSRuntimePointer;
}

/**
 * Instantiates a QuickJS module from the compiled binary `wasmModule` (a `WebAssembly.Module`, see
 * quickjs-binary.ts; ~1.5 ms) whose WebAssembly memory may grow by `memoryLimitBytes` over its
 * 16 MiB base, with one runtime whose module loader refuses every `import()` with `importRefusal`.
 * @throws Error when the WebAssembly module cannot be instantiated or the library's internals differ from 0.32.
 */
export async function createWasmSandboxModule(wasmModule: object, memoryLimitBytes: number, importRefusal: string): Promise<WasmSandboxModule> {
  const maxPages = Math.min(65536, BASE_PAGES + Math.ceil(memoryLimitBytes / WASM_PAGE));
  const memory = new wasm.Memory({ initial: BASE_PAGES, maximum: maxPages });
  const variant = newVariant(RELEASE_ASYNC, { wasmModule, wasmMemory: memory });
  const quickjs = await newQuickJSAsyncWASMModuleFromVariant(variant);

  const emscripten: unknown = Reflect.get(quickjs, 'module');
  if (!isEmscriptenSubset(emscripten)) throw new Error('quickjs-emscripten module internals not found (unsupported version)');
  const wrapped = emscripten.cwrap('QTS_ExecutePendingJob', 'number', ['number', 'number', 'number'], { async: true });
  if (typeof wrapped !== 'function') throw new Error('QTS_ExecutePendingJob not found (unsupported quickjs-emscripten version)');
  const executePendingJob = wrapped as (rt: number, maxJobs: number, lastJobContext: number) => Promise<number>;
  const lastJobContext = emscripten._malloc(4);
  const ffi = quickjs.getFFI();

  const runtime = quickjs.newRuntime();
  runtime.setModuleLoader(() => ({ error: new Error(importRefusal) }));
  const rt = runtimePointer(runtime);

  return {
    quickjs,
    runtime,
    maxBytes: maxPages * WASM_PAGE,
    usedBytes: () => memory.buffer.byteLength,
    newContext: () => runtime.newContext(),
    async runPendingJobs(maxJobs) {
      if (!runtime.hasPendingJob()) return;
      const valuePointer = await executePendingJob(rt, maxJobs, lastJobContext);
      ffi.QTS_FreeValuePointerRuntime(rt, valuePointer as JSValuePointer);
    },
  };
}
