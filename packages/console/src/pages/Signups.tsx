/** Developer-portal sign-ups waiting for approval, and invitations by e-mail (environment admins). */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc } from '../api';
import { usePaged } from '../components/paged';
import { actionsColumn, type Column, ConfirmDialog, DataTable, ReasonDialog, StatusFilter } from '../components/tables';
import { useToast } from '../components/toast';
import { Badge, CopyButton, Empty, ErrorBanner, Field, Modal, PageHeader, Time } from '../components/ui';
import { useEnv } from '../session';

interface Signup {
  id: string;
  email: string;
  name: string;
  status: 'unverified' | 'pending' | 'active' | 'rejected';
  reason: string | null;
  createdAt: string;
  reviewedAt: string | null;
}

interface Invitation {
  email: string;
  expiresAt: string;
  mailed: boolean;
  signupUrl: string | null;
}

interface OpenInvitation {
  id: string;
  email: string;
  createdAt: string;
  expiresAt: string;
}

export default function Signups() {
  const { env } = useEnv();
  const [status, setStatus] = useState('pending');
  const [rejecting, setRejecting] = useState<Signup | null>(null);
  const [inviting, setInviting] = useState(false);
  const client = useQueryClient();
  const toast = useToast();
  const base = `/environments/${enc(env)}/portal`;
  const paged = usePaged<Signup>(['portal-signups', env], `${base}/signups`, {
    status: status || undefined,
    limit: 50,
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['portal-signups', env] });
  const approve = async (s: Signup) => {
    try {
      await api.post(`${base}/signups/${enc(s.id)}/approve`, {});
      toast.ok(`${s.email} can sign in now`);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  const columns: Column<Signup>[] = [
    { header: 'Name', cell: (s) => s.name },
    { header: 'E-mail', cell: (s) => s.email },
    {
      header: 'Status',
      cell: (s) => (
        <>
          <Badge value={s.status} />
          {s.reason && <div className="muted">{s.reason}</div>}
        </>
      ),
    },
    { header: 'Signed up', cell: (s) => <Time iso={s.createdAt} /> },
    actionsColumn((s) => (
      <>
        {s.status === 'pending' && (
          <button type="button" className="btn btn-small" aria-label={`Approve ${s.email}`} onClick={() => approve(s)}>
            Approve
          </button>
        )}
        {(s.status === 'pending' || s.status === 'unverified') && (
          <button
            type="button"
            className="btn btn-small btn-danger"
            aria-label={`Reject ${s.email}`}
            onClick={() => setRejecting(s)}
          >
            Reject
          </button>
        )}
      </>
    )),
  ];
  return (
    <>
      <PageHeader
        title="Sign-ups"
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setInviting(true)}>
            Invite by e-mail
          </button>
        }
      >
        People who signed up on the developer portal. Approved accounts become consumers of this environment.
      </PageHeader>
      <StatusFilter
        id="signup-status"
        value={status}
        options={['pending', 'unverified', 'active', 'rejected']}
        onChange={setStatus}
      />
      <DataTable
        columns={columns}
        rowKey={(s) => s.id}
        paged={paged}
        empty={<Empty title={status === 'pending' ? 'Nothing waiting for approval' : 'No sign-ups'} />}
      />
      <Invitations base={base} env={env} />
      {rejecting && (
        <ReasonDialog
          title="Reject sign-up"
          confirm="Reject"
          danger
          reasonLabel="Reason (optional)"
          onClose={() => setRejecting(null)}
          onConfirm={async (body) => {
            await api.post(`${base}/signups/${enc(rejecting.id)}/reject`, body);
            toast.ok(`Sign-up of ${rejecting.email} rejected`);
            refresh();
          }}
        >
          <p>The account of {rejecting.email} is removed; they are told by mail (with the reason, if any).</p>
        </ReasonDialog>
      )}
      {inviting && (
        <InviteDialog
          url={`${base}/invitations`}
          onClose={() => {
            setInviting(false);
            client.invalidateQueries({ queryKey: ['portal-invitations', env] });
          }}
        />
      )}
    </>
  );
}

/** Invitations not used yet: who was invited, until when; revoking one makes its link useless. */
function Invitations({ base, env }: { base: string; env: string }) {
  const [revoking, setRevoking] = useState<OpenInvitation | null>(null);
  const client = useQueryClient();
  const toast = useToast();
  const paged = usePaged<OpenInvitation>(['portal-invitations', env], `${base}/invitations`, { limit: 50 });
  const columns: Column<OpenInvitation>[] = [
    { header: 'E-mail', cell: (i) => i.email },
    { header: 'Invited', cell: (i) => <Time iso={i.createdAt} /> },
    { header: 'Expires', cell: (i) => <Time iso={i.expiresAt} /> },
    actionsColumn((i) => (
      <button
        type="button"
        className="btn btn-small btn-danger"
        aria-label={`Revoke invitation of ${i.email}`}
        onClick={() => setRevoking(i)}
      >
        Revoke
      </button>
    )),
  ];
  return (
    <section aria-labelledby="invitations-title">
      <h2 id="invitations-title">Open invitations</h2>
      <DataTable
        label="Open invitations"
        columns={columns}
        rowKey={(i) => i.id}
        paged={paged}
        empty={<Empty title="No open invitations" />}
      />
      {revoking && (
        <ConfirmDialog
          title={`Revoke the invitation of ${revoking.email}?`}
          confirm="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.del(`${base}/invitations/${enc(revoking.id)}`);
            toast.ok(`Invitation of ${revoking.email} revoked`);
            await client.invalidateQueries({ queryKey: ['portal-invitations', env] });
          }}
        >
          <p>Its link stops working at once. You can invite the address again later.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function InviteDialog({ url, onClose }: { url: string; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<Invitation | null>(null);
  const toast = useToast();
  const submit = async () => {
    try {
      const invitation = await api.post<Invitation>(url, { email });
      if (invitation.mailed) {
        toast.ok(`Invitation mailed to ${invitation.email}`);
        onClose();
      } else setSent(invitation);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      title="Invite by e-mail"
      onClose={onClose}
      footer={
        sent ? (
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={submit}>
              Invite
            </button>
          </>
        )
      }
    >
      <ErrorBanner error={error} />
      {sent?.signupUrl ? (
        <div className="secret-once">
          <p className="alert alert-warn">
            E-mail is not configured: pass this link to {sent.email} yourself. It is shown only once and works until{' '}
            <Time iso={sent.expiresAt} />.
          </p>
          <div className="secret-row">
            <code className="secret">{sent.signupUrl}</code>
            <CopyButton text={sent.signupUrl} />
          </div>
        </div>
      ) : (
        <Field label="E-mail address" errors={error instanceof ApiError ? error.at('body.email') : []}>
          {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
      )}
    </Modal>
  );
}
