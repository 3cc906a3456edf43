/** Placeholder: the Instances screens (issue 13) are being built. */
export default function InstancesPage() {
  return <h1 tabIndex={-1}>Instances</h1>;
}
