/** Placeholder: the ApiKeys screens (issue 13) are being built. */
export default function ApiKeysPage() {
  return <h1 tabIndex={-1}>ApiKeys</h1>;
}
