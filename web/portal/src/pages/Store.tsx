/** Placeholder: the Store screens (issue 13) are being built. */
export default function StorePage() {
  return <h1 tabIndex={-1}>Store</h1>;
}
