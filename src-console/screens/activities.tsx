import { type FormEvent, useEffect, useId, useRef } from 'react';
import { adminApi } from '../api/admin.js';
import type { ActivitiesQuery } from '../api/types.js';
import { announce } from '../components/announcer.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { Pager, ScrollTable } from '../components/table.js';
import { formatDateTime } from '../format.js';
import { href, Link, navigate, useLocation } from '../router.js';
import { activityName } from '../strings.js';
import { useResource } from '../use-resource.js';

const TYPES = [
  'read_host_disk_encryption_key',
  'requested_disk_encryption_key_rotation',
  'transferred_hosts',
  'enabled_disk_encryption',
  'disabled_disk_encryption',
  'edited_team_policy',
  'created_user',
  'created_api_token',
  'revoked_api_token',
  'edited_organization',
];

/** Day boundaries in the admin's own time zone, sent as instants. */
const dayStart = (d: string) => new Date(`${d}T00:00:00`).toISOString();
const dayEnd = (d: string) => new Date(new Date(`${d}T00:00:00`).getTime() + 86_400_000).toISOString();

function queryFromUrl(q: URLSearchParams): ActivitiesQuery & { from?: string; to?: string } {
  const out: ActivitiesQuery & { from?: string; to?: string } = { per_page: 50 };
  for (const k of ['actor', 'type', 'after', 'before'] as const) {
    const v = q.get(k);
    if (v) out[k] = v;
  }
  const host = q.get('host_id');
  if (host && /^\d+$/.test(host)) out.host_id = Number(host);
  const from = q.get('from');
  if (from && /^\d{4}-\d{2}-\d{2}$/.test(from)) {
    out.from = from;
    out.since = dayStart(from);
  }
  const to = q.get('to');
  if (to && /^\d{4}-\d{2}-\d{2}$/.test(to)) {
    out.to = to;
    out.until = dayEnd(to);
  }
  return out;
}

/** Who did what, when, to which host, and why: the audit trail, filterable and exportable. */
export function ActivitiesScreen() {
  const { query } = useLocation();
  const q = queryFromUrl(query);
  const key = query.toString();
  const { from, to, ...apiQuery } = q;
  const res = useResource((signal) => adminApi.activities(apiQuery, signal), [key]);
  const ids = { actor: useId(), type: useId(), from: useId(), to: useId(), host: useId() };
  const form = useRef<HTMLFormElement>(null);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const f = new FormData(form.current ?? undefined);
    const get = (n: string) => String(f.get(n) ?? '').trim() || null;
    navigate(
      href('/activities', {
        actor: get('actor'),
        type: get('type'),
        from: get('from'),
        to: get('to'),
        host_id: get('host_id'),
      }),
    );
  };

  useEffect(() => {
    if (!res.loading && res.data) {
      const n = res.data.activities.length;
      announce(n === 0 ? 'No activities match.' : `${n} activities shown.`);
    }
  }, [res.loading, res.data]);

  const page = (change: { after?: string | null; before?: string | null }) =>
    navigate(href('/activities', { ...Object.fromEntries(query), after: null, before: null, ...change }));

  return (
    <>
      <PageHeading title="Activities">
        <a className="button-link" href={adminApi.activitiesCsvUrl(apiQuery)} download>
          Export CSV
        </a>
      </PageHeading>
      <form ref={form} className="filters" aria-label="Filter activities" onSubmit={apply} key={key}>
        <div className="filter">
          <label htmlFor={ids.actor}>Who</label>
          <input id={ids.actor} name="actor" type="text" defaultValue={q.actor ?? ''} autoComplete="off" />
        </div>
        <div className="filter">
          <label htmlFor={ids.host}>Host ID</label>
          <input
            id={ids.host}
            name="host_id"
            type="text"
            inputMode="numeric"
            defaultValue={q.host_id === undefined ? '' : String(q.host_id)}
            autoComplete="off"
          />
        </div>
        <div className="filter">
          <label htmlFor={ids.type}>What</label>
          <select id={ids.type} name="type" defaultValue={q.type ?? ''}>
            <option value="">Anything</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {activityName(t)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} name="from" type="date" defaultValue={from ?? ''} />
        </div>
        <div className="filter">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} name="to" type="date" defaultValue={to ?? ''} />
        </div>
        <button type="submit" className="primary">
          Filter
        </button>
      </form>
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}
      {!res.data ? (
        res.loading ? (
          <Loading />
        ) : null
      ) : res.data.activities.length === 0 ? (
        <p>No activities match these filters.</p>
      ) : (
        <div aria-busy={res.loading}>
          <ScrollTable label="Activities">
            <table className="activities-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Host</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {res.data.activities.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <time dateTime={a.created_at}>{formatDateTime(a.created_at)}</time>
                    </td>
                    <td>{a.actor}</td>
                    <td>{activityName(a.type)}</td>
                    <td>
                      {a.host_id !== null ? (
                        <Link to={href(`/hosts/${a.host_id}`)}>
                          {a.host_display_name ?? `Host ${a.host_id}`}
                        </Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{a.reason ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        </div>
      )}
      {res.data ? (
        <Pager
          label="Activity pages"
          prev={res.data.prev_cursor !== null}
          next={res.data.next_cursor !== null}
          onPrev={() => page({ before: res.data?.prev_cursor ?? null })}
          onNext={() => page({ after: res.data?.next_cursor ?? null })}
        />
      ) : null}
    </>
  );
}
