/** Placeholder: the Orders screens (issue 13) are being built. */
export default function OrdersPage() {
  return <h1 tabIndex={-1}>Orders</h1>;
}
