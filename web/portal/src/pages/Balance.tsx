/** Placeholder: the Balance screens (issue 13) are being built. */
export default function BalancePage() {
  return <h1 tabIndex={-1}>Balance</h1>;
}
