/** Placeholder: the Settings screens (issue 13) are being built. */
export default function SettingsPage() {
  return <h1 tabIndex={-1}>Settings</h1>;
}
