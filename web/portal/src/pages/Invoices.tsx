/** Placeholder: the Invoices screens (issue 13) are being built. */
export default function InvoicesPage() {
  return <h1 tabIndex={-1}>Invoices</h1>;
}
