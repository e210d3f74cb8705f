import { useId, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { DashboardResponse, StatusCount, Team } from '../api/types.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { StatusBadge } from '../components/status.js';
import { formatCount, formatDateTime } from '../format.js';
import { href, Link } from '../router.js';
import { NO_TEAM, PLATFORM_NAMES, PLATFORMS, STATUS_ORDER } from '../strings.js';
import { useResource } from '../use-resource.js';
import { TrendChart } from './trend-chart.js';

/** The fleet at a glance: where every host stands, how that moved in 30 days, and who needs a hand. */
export function DashboardScreen() {
  const [team, setTeam] = useState('all');
  const selectId = useId();
  const res = useResource(async (signal) => {
    const [dashboard, teams] = await Promise.all([adminApi.dashboard(signal), adminApi.teams(signal)]);
    return { dashboard, teams };
  }, []);

  return (
    <>
      <PageHeading title="Dashboard" />
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}
      {!res.data ? (
        res.loading ? (
          <Loading />
        ) : null
      ) : (
        <Body
          dashboard={res.data.dashboard}
          teams={res.data.teams}
          team={team}
          setTeam={setTeam}
          selectId={selectId}
        />
      )}
    </>
  );
}

function Body({
  dashboard,
  teams,
  team,
  setTeam,
  selectId,
}: {
  dashboard: DashboardResponse;
  teams: Team[];
  team: string;
  setTeam: (t: string) => void;
  selectId: string;
}) {
  const counts = dashboard.counts.filter(
    (c) => team === 'all' || (team === 'none' ? c.team_id === null : c.team_id === Number(team)),
  );
  const teamQuery = team === 'all' ? null : team === 'none' ? 0 : Number(team);
  return (
    <>
      <section aria-labelledby="counts-title" className="section">
        <div className="section-head">
          <h2 id="counts-title">Hosts by status and platform</h2>
          <div className="inline-field">
            <label htmlFor={selectId}>Team</label>
            <select id={selectId} value={team} onChange={(e) => setTeam(e.target.value)}>
              <option value="all">All teams</option>
              <option value="none">{NO_TEAM}</option>
              {teams.map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        </div>
        <CountsTable counts={counts} teamQuery={teamQuery} />
      </section>

      <section aria-labelledby="trend-title" className="section">
        <h2 id="trend-title">The last 30 days</h2>
        <TrendChart daily={dashboard.daily} />
      </section>

      <section aria-labelledby="attention-title" className="section">
        <h2 id="attention-title">Needs attention</h2>
        {dashboard.needs_attention.length === 0 ? (
          <p className="muted">Nothing needs attention: every managed host has a verified key.</p>
        ) : (
          <ul className="attention-list">
            {dashboard.needs_attention.map((a) => (
              <li key={a.host_id} className="card">
                <div className="attention-head">
                  <Link to={href(`/hosts/${a.host_id}`)} className="strong-link">
                    {a.hostname}
                  </Link>
                  <StatusBadge status={a.status} />
                </div>
                <p>{a.reason}</p>
                {a.since ? <p className="muted small">Since {formatDateTime(a.since)}</p> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

/** Rows are statuses (worst first), columns platforms; each number links to that filtered host list. */
function CountsTable({ counts, teamQuery }: { counts: StatusCount[]; teamQuery: number | null }) {
  const cell = (status: string, platform?: string) =>
    counts
      .filter((c) => c.status === status && (!platform || c.platform === platform))
      .reduce((s, c) => s + c.count, 0);
  const statuses = STATUS_ORDER.filter((s) => cell(s) > 0);
  const total = counts.reduce((s, c) => s + c.count, 0);
  if (total === 0) return <p className="muted">No hosts have enrolled yet.</p>;
  const link = (status: string, platform: string | null, n: number) =>
    n === 0 ? (
      <span className="muted">0</span>
    ) : (
      <Link
        to={href('/hosts', {
          status: status === 'unmanaged' ? null : status,
          platform,
          team_id: teamQuery,
        })}
      >
        {formatCount(n)}
      </Link>
    );
  return (
    <div className="table-scroll">
      <table className="counts">
        <thead>
          <tr>
            <th scope="col">Status</th>
            {PLATFORMS.map((p) => (
              <th key={p} scope="col" className="num">
                {PLATFORM_NAMES[p]}
              </th>
            ))}
            <th scope="col" className="num">
              All
            </th>
          </tr>
        </thead>
        <tbody>
          {statuses.map((s) => (
            <tr key={s}>
              <th scope="row">
                <StatusBadge status={s === 'unmanaged' ? null : s} />
              </th>
              {PLATFORMS.map((p) => (
                <td key={p} className="num">
                  {link(s, p, cell(s, p))}
                </td>
              ))}
              <td className="num">{link(s, null, cell(s))}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All statuses</th>
            {PLATFORMS.map((p) => (
              <td key={p} className="num">
                {formatCount(counts.filter((c) => c.platform === p).reduce((s, c) => s + c.count, 0))}
              </td>
            ))}
            <td className="num">{formatCount(total)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
