/** Form pieces: a labelled field that shows the server's message when the message names it. */
import type { ReactNode } from 'react';
import type { ApiProblem } from './problem.ts';

/** A label, its input and, when `problem` names `name`, the server's message under it. */
export function Field({ label, name, problem, children }: { label: ReactNode; name: string; problem: ApiProblem | null; children: ReactNode }) {
  const mine = problem !== null && problem.field === name;
  // The message stays outside the <label>, so the field's accessible name is its label alone.
  return (
    <div className={mine ? 'field invalid' : 'field'}>
      <label>
        <span>{label}</span>
        {children}
      </label>
      {mine && <span className="field-error" role="alert" data-field={name}>{problem.message}</span>}
    </div>
  );
}

/** A refusal that names no field of the form: shown above it. */
export function FormProblem({ problem, fields }: { problem: ApiProblem | null; fields: readonly string[] }) {
  if (problem === null || (problem.field !== null && fields.includes(problem.field))) return null;
  return <div className="error" role="alert">{problem.message}</div>;
}
