/**
 * The outbound allow-list entry for the local counterparts (they all listen on 127.0.0.1). The
 * outbound policy refuses loopback by default, so every suite that lets plugins talk to a
 * counterpart adds it explicitly: `outbound_allow: COUNTERPARTS_ALLOW` in `[plugins]` settings, also
 * through `startServer({ config: { plugins: { outbound_allow: COUNTERPARTS_ALLOW } } })`.
 */

/** `[plugins] outbound_allow` for the local counterparts. */
export const COUNTERPARTS_ALLOW: string[] = ['127.0.0.1'];
