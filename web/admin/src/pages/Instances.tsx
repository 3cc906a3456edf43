import { NotYet } from './placeholder.tsx';

/** The Instances screen (not built yet). */
export default function InstancesPage() {
  return <NotYet title="instances" />;
}
