import { type FormEvent, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { OrgInfo } from '../api/types.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { useSession } from '../session.js';
import { useResource } from '../use-resource.js';

/**
 * The organisation's name and how users reach IT: the desktop app shows these in My Device, and its
 * "Contact IT" button opens the URL (https: or mailto: only, checked there as well as here).
 */
export function OrganisationScreen() {
  const { can } = useSession();
  const res = useResource((signal) => adminApi.org(signal), []);
  return (
    <>
      <PageHeading title="Organisation" />
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}
      {!can.editOrganisation ? (
        <p className="muted">Only administrators change these; your role may read them.</p>
      ) : null}
      {res.data ? (
        <OrgForm org={res.data} readOnly={!can.editOrganisation} />
      ) : res.loading ? (
        <Loading />
      ) : null}
    </>
  );
}

type Field = keyof OrgInfo & string;
const FIELDS: readonly {
  key: Field;
  label: string;
  type: string;
  hint?: string;
  auto?: string;
}[] = [
  { key: 'org_name', label: 'Organisation name', type: 'text', auto: 'organization' },
  {
    key: 'contact_url',
    label: 'IT contact page',
    type: 'url',
    hint: 'An https:// or mailto: address; the desktop app opens it from “Contact IT”.',
    auto: 'url',
  },
  {
    key: 'contact_email',
    label: 'IT contact email',
    type: 'email',
    hint: 'Shown on the desktop app’s My Device page (and opened by “Contact IT” when there is no page).',
    auto: 'email',
  },
  {
    key: 'contact_phone',
    label: 'IT contact phone',
    type: 'tel',
    hint: 'Shown on the desktop app’s My Device page.',
    auto: 'tel',
  },
];

function problemOf(key: Field, v: string): string | null {
  if (key === 'org_name' && v === '') return 'Enter the organisation’s name.';
  if (key === 'contact_url' && v !== '' && !/^(https:\/\/|mailto:)[^\s<>"]+$/i.test(v))
    return 'The contact page must start with https:// or mailto:.';
  if (key === 'contact_email' && v !== '' && !/^[^\s@]+@[^\s@]+$/.test(v))
    return 'That is not an email address.';
  return null;
}

function OrgForm({ org, readOnly }: { org: OrgInfo; readOnly: boolean }) {
  const base = useId();
  const form = useRef<HTMLFormElement>(null);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [status, setStatus] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const f = new FormData(form.current ?? undefined);
    const next = Object.fromEntries(
      FIELDS.map((d) => [d.key, String(f.get(d.key) ?? '').trim()]),
    ) as unknown as OrgInfo;
    const found: Partial<Record<Field, string>> = {};
    for (const d of FIELDS) {
      const p = problemOf(d.key, next[d.key]);
      if (p) found[d.key] = p;
    }
    setProblems(found);
    const first = FIELDS.find((d) => found[d.key]);
    if (first) {
      form.current?.querySelector<HTMLInputElement>(`[name="${first.key}"]`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await adminApi.updateOrg(next);
      setStatus({ tone: 'ok', text: 'Saved. Hosts get the new details at their next check-in.' });
    } catch (err) {
      setStatus({ tone: 'error', text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} className="card form-card" onSubmit={(e) => void save(e)} noValidate>
      {FIELDS.map((d) => {
        const id = `${base}-${d.key}`;
        const problem = problems[d.key];
        const describedBy = [d.hint ? `${id}-hint` : '', problem ? `${id}-err` : ''].join(' ').trim();
        return (
          <div key={d.key} className="form-field">
            <label htmlFor={id} className="field-label">
              {d.label}
            </label>
            <input
              id={id}
              name={d.key}
              type={d.type}
              defaultValue={org[d.key]}
              readOnly={readOnly}
              autoComplete={d.auto}
              aria-invalid={problem !== undefined}
              aria-describedby={describedBy || undefined}
            />
            {d.hint ? (
              <p id={`${id}-hint`} className="hint">
                {d.hint}
              </p>
            ) : null}
            {problem ? (
              <p id={`${id}-err`} className="field-error">
                {problem}
              </p>
            ) : null}
          </div>
        );
      })}
      <div aria-live="polite" className="live-region">
        {status ? <p className={`notice tone-${status.tone}`}>{status.text}</p> : null}
      </div>
      {readOnly ? null : (
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        </div>
      )}
    </form>
  );
}
