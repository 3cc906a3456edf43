/**
 * The admin UI's view into a plugin (GetPluginAdminPage, CallPluginAction): the HTML page a script
 * renders with `admin_page()`, and the bridge through which that page calls the script's own
 * functions. The bridge calls functions only by name from the script's function list, and never
 * the contract functions that move money or servers (rules.ts, BRIDGE_REFUSED_FUNCTIONS).
 */
import { PluginRegistryError } from './errors.ts';
import type { InterfaceScripts } from './interface-scripts.ts';
import type { PluginInterfaces } from './interfaces.ts';
import { readAdminPage, toResultJson } from './results.ts';
import { bridgeRefusal, checkFunctionName, describeInterface, parseJsonObject } from './rules.ts';

/** See the file comment. */
export class AdminPages {
  private readonly interfaces: PluginInterfaces;
  private readonly scripts: InterfaceScripts;

  constructor(deps: { interfaces: PluginInterfaces; scripts: InterfaceScripts }) {
    this.interfaces = deps.interfaces;
    this.scripts = deps.scripts;
  }

  /**
   * The interface's admin page: `admin_page()` → `{ html, title }` (the title defaults to the
   * interface's display name).
   * @throws PluginRegistryError not_found (no interface, or its script has no admin_page); PluginError
   */
  async page(id: string): Promise<{ html: string; title: string }> {
    const row = await this.interfaces.get(id);
    const metadata = await this.scripts.metadataOf(row);
    if (!metadata.hasAdminPage && !metadata.functions.includes('admin_page')) {
      throw new PluginRegistryError('not_found', `${describeInterface(row)} has no admin page (its script defines no admin_page function)`);
    }
    return readAdminPage(await this.scripts.call(row, 'admin_page'), row.displayName);
  }

  /**
   * Calls the script function `fn` with `argsJson` (a JSON object, '' = `{}`) merged into the
   * config, and returns its value as JSON text (`result_json`).
   * @throws PluginRegistryError invalid_argument (name, args), not_found (interface, function),
   *   failed_precondition (a function the bridge refuses); PluginError
   */
  async callAction(id: string, fn: string, argsJson: string): Promise<string> {
    checkFunctionName(fn);
    const args = parseJsonObject('args_json', argsJson);
    const row = await this.interfaces.get(id);
    const refusal = bridgeRefusal(row, (await this.scripts.metadataOf(row)).functions, fn);
    if (refusal) throw refusal;
    return toResultJson(await this.scripts.call(row, fn, args));
  }
}
