/**
 * The compiled QuickJS WebAssembly binary (the asyncify release build of quickjs-emscripten 0.32).
 * Compiled once in the main thread and handed to every sandbox thread in its `workerData`: a
 * `WebAssembly.Module` is cloneable, and V8 shares the compiled (and tiered-up) code between the
 * threads instead of compiling it again in each.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The parts of the `WebAssembly` global used here (the project's `lib` has no WebAssembly types). */
interface WasmCompiler {
  compile(bytes: Uint8Array): Promise<object>;
}
const wasm: WasmCompiler = Reflect.get(globalThis, 'WebAssembly');

let compiled: Promise<object> | undefined;

/**
 * The compiled module (a `WebAssembly.Module`), compiled on the first call and shared afterwards;
 * a failed compilation is retried on the next call.
 * @throws Error when the binary cannot be found or compiled
 */
export function compiledQuickJs(): Promise<object> {
  compiled ??= (async () => {
    const fromHere = createRequire(import.meta.url);
    const fromLibrary = createRequire(fromHere.resolve('quickjs-emscripten'));
    const wasmPath = fromLibrary.resolve('@jitl/quickjs-wasmfile-release-asyncify/wasm');
    return wasm.compile(await readFile(wasmPath));
  })();
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}
