/** Placeholder: the Tickets screens (issue 13) are being built. */
export default function TicketsPage() {
  return <h1 tabIndex={-1}>Tickets</h1>;
}
