/** Environment members and their roles (admins only). */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc, type Page } from '../api';
import { useToast } from '../components/toast';
import { Empty, ErrorBanner, Field, Loading, Modal, PageHeader } from '../components/ui';
import { useEnv, useSession } from '../session';
import type { Member, Role, User } from '../types';

const ROLES: Role[] = ['admin', 'publisher', 'viewer', 'consumer'];

export default function Members() {
  const { env } = useEnv();
  const session = useSession();
  const client = useQueryClient();
  const toast = useToast();
  const [adding, setAdding] = useState(false);
  const base = `/environments/${enc(env)}/members`;
  const members = useQuery({ queryKey: ['members', env], queryFn: () => api.get<Page<Member>>(base, { limit: 100 }) });
  const refresh = () => client.invalidateQueries({ queryKey: ['members', env] });
  const act = async (fn: () => Promise<void>, done: string) => {
    try {
      await fn();
      toast.ok(done);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  return (
    <>
      <PageHeader
        title="Members"
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add member
          </button>
        }
      >
        Who may do what in this environment. Platform administrators act as admin everywhere.
      </PageHeader>
      <ErrorBanner error={members.error} />
      <div className="panel panel-flush">
        {members.isPending ? (
          <Loading />
        ) : members.data!.items.length === 0 ? (
          <Empty title="No members" />
        ) : (
          <table>
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>
                  <span className="skip">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data!.items.map((m) => (
                <tr key={m.userId}>
                  <td>
                    {m.name || m.email} <div className="muted">{m.email}</div>
                  </td>
                  <td>
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      onChange={(e) =>
                        act(async () => {
                          const { send } = await import('../api');
                          const { etag } = await send('GET', `${base}/${m.userId}`);
                          await send('PATCH', `${base}/${m.userId}`, { body: { role: e.target.value }, ifMatch: etag });
                        }, `${m.email} is now ${e.target.value}`)
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {m.userId !== session.user.id && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => act(() => api.del(`${base}/${m.userId}`), `${m.email} removed`)}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {adding && (
        <AddMember
          base={base}
          onClose={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            refresh();
          }}
        />
      )}
    </>
  );
}

function AddMember({ base, onClose, onDone }: { base: string; onClose: () => void; onDone: () => void }) {
  const session = useSession();
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [error, setError] = useState<unknown>(null);
  const users = useQuery({
    queryKey: ['users', 'all'],
    queryFn: () => api.get<Page<User>>('/users', { limit: 100 }),
    enabled: session.platformActions.includes('users:read'),
  });
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  return (
    <Modal
      title="Add member"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={async () => {
              try {
                await api.post(base, { userId, role });
                onDone();
              } catch (e) {
                setError(e);
              }
            }}
          >
            Add
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <Field label="User" errors={at('userId')} hint={users.data ? undefined : 'Paste the user id.'}>
        {(p) =>
          users.data ? (
            <select {...p} value={userId} onChange={(e) => setUserId(e.target.value)}>
              <option value="">Choose a user…</option>
              {users.data.items.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          ) : (
            <input {...p} value={userId} onChange={(e) => setUserId(e.target.value)} />
          )
        }
      </Field>
      <Field label="Role" errors={at('role')}>
        {(p) => (
          <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        )}
      </Field>
    </Modal>
  );
}
