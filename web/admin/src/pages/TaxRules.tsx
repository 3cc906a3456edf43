import { NotYet } from './placeholder.tsx';

/** The TaxRules screen (not built yet). */
export default function TaxRulesPage() {
  return <NotYet title="taxRules" />;
}
