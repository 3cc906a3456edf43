/** Placeholder: the Services screens (issue 13) are being built. */
export default function ServicesPage() {
  return <h1 tabIndex={-1}>Services</h1>;
}
