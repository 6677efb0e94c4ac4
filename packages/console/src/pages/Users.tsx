/** Platform users (administrators only): create, disable, grant platform admin. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, send } from '../api';
import { Pager, usePaged } from '../components/paged';
import { useToast } from '../components/toast';
import { Badge, Empty, ErrorBanner, Field, Loading, Modal, PageHeader, Time } from '../components/ui';
import { useSession } from '../session';
import type { User } from '../types';

export default function Users() {
  const session = useSession();
  const client = useQueryClient();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState(false);
  const paged = usePaged<User>(['users'], '/users', { q: q || undefined, limit: 50 });
  if (!session.platformActions.includes('users:read')) return <p>Only platform administrators manage users.</p>;
  const patch = async (u: User, body: Partial<User>, done: string) => {
    try {
      const { etag } = await send('GET', `/users/${u.id}`);
      await send('PATCH', `/users/${u.id}`, { body, ifMatch: etag });
      toast.ok(done);
      client.invalidateQueries({ queryKey: ['users'] });
    } catch (e) {
      toast.error(e);
    }
  };
  const items = paged.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Users"
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Create user
          </button>
        }
      >
        Accounts of this Gatehouse. Add them to environments under Members.
      </PageHeader>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="user-q">Search</label>
          <input id="user-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
      </div>
      <ErrorBanner error={paged.error} />
      <div className="panel panel-flush">
        {paged.isPending ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title="No users match" />
        ) : (
          <table>
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Status</th>
                <th>Created</th>
                <th>
                  <span className="skip">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id}>
                  <td>
                    {u.name || u.email}
                    <div className="muted">{u.email}</div>
                  </td>
                  <td>{u.isAdmin ? <Badge value="platform admin" tone="info" /> : 'user'}</td>
                  <td>{u.disabled ? <Badge value="disabled" tone="bad" /> : <Badge value="active" />}</td>
                  <td>
                    <Time iso={u.createdAt} />
                  </td>
                  <td className="row">
                    {u.id !== session.user.id && (
                      <>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            patch(u, { disabled: !u.disabled }, u.disabled ? 'User enabled' : 'User disabled')
                          }
                        >
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => patch(u, { isAdmin: !u.isAdmin }, 'Role changed')}
                        >
                          {u.isAdmin ? 'Remove admin' : 'Make admin'}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={paged as never} />
      </div>
      {creating && <CreateUser onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const client = useQueryClient();
  const toast = useToast();
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  return (
    <Modal
      title="Create user"
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
                await api.post('/users', { email, password, isAdmin, ...(name ? { name } : {}) });
                toast.ok(`User ${email} created`);
                client.invalidateQueries({ queryKey: ['users'] });
                onClose();
              } catch (e) {
                setError(e);
              }
            }}
          >
            Create
          </button>
        </>
      }
    >
      {error instanceof ApiError && !error.problem.errors?.length && <ErrorBanner error={error} />}
      <Field label="E-mail *" errors={at('email')}>
        {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Name" errors={at('name')}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Initial password *" errors={at('password')}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <label className="check">
        <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} /> Platform
        administrator
      </label>
    </Modal>
  );
}
