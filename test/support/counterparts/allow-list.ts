/**
 * The outbound allow-list entry for the local counterparts (they all listen on 127.0.0.1). The
 * outbound policy refuses loopback by default, so every suite that lets plugins talk to a
 * counterpart adds it explicitly: `outbound_allow: COUNTERPARTS_ALLOW` in `[plugins]` settings, or
 * `localToml: COUNTERPARTS_ALLOW_TOML` for a server started by test/support/server.ts.
 */

/** `[plugins] outbound_allow` for the local counterparts. */
export const COUNTERPARTS_ALLOW: string[] = ['127.0.0.1'];

/** The same as TOML, for `startServer({ localToml })`. */
export const COUNTERPARTS_ALLOW_TOML = `[plugins]\noutbound_allow = ${JSON.stringify(COUNTERPARTS_ALLOW)}\n`;
