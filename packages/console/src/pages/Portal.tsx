/** The environment's developer portal: on/off, branding, sign-up mode, try-it gateway (admins only). */
import { useEffect, useState } from 'react';
import { ApiError, enc } from '../api';
import { useResource } from '../components/resource';
import { useToast } from '../components/toast';
import { ErrorBanner, Field, Loading, PageHeader } from '../components/ui';
import { useEnv } from '../session';
import type { PortalSettings } from '../types';

const MAX_LOGO_BYTES = 256 * 1024;
const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

type Draft = Omit<PortalSettings, 'updatedAt'>;

const draftOf = (s: PortalSettings): Draft => ({
  enabled: s.enabled,
  name: s.name,
  logo: s.logo,
  primaryColor: s.primaryColor,
  homeMarkdown: s.homeMarkdown,
  signup: s.signup,
  tryItBaseUrl: s.tryItBaseUrl,
});

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export default function Portal() {
  const { env } = useEnv();
  const toast = useToast();
  const resource = useResource<PortalSettings>(['portal', env], `/environments/${enc(env)}/portal`);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [logoError, setLogoError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (resource.value) setDraft(draftOf(resource.value));
  }, [resource.value]);

  if (resource.isPending) return <Loading />;
  if (resource.error) return <ErrorBanner error={resource.error} />;
  if (!draft) return <Loading />;
  const at = (field: string) => (error instanceof ApiError ? error.at(`body.${field}`) : []);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => d && { ...d, [key]: value });
  const dirty = JSON.stringify(draft) !== JSON.stringify(draftOf(resource.value!));
  const portalUrl = `${window.location.origin}/portal/${env}/`;

  const pickLogo = async (file: File | undefined) => {
    setLogoError(null);
    if (!file) return;
    // Checked again by the server (type by content, size after decoding); this only saves a round trip.
    if (!LOGO_TYPES.includes(file.type)) return setLogoError('Use a PNG, JPEG, GIF or WebP image (SVG is refused).');
    if (file.size > MAX_LOGO_BYTES) return setLogoError('The logo must be at most 256 KB.');
    set('logo', await readAsDataUrl(file));
  };

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await resource.save('PUT', { ...draft, name: draft.name || null, tryItBaseUrl: draft.tryItBaseUrl || null });
      toast.ok(draft.enabled ? 'Portal settings saved; the portal is public.' : 'Portal settings saved.');
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      {resource.conflictDialog}
      <PageHeader
        title="Developer portal"
        actions={
          <div className="row save-bar">
            {dirty && <span className="muted">Unsaved changes</span>}
            <button
              type="button"
              className="btn"
              disabled={!dirty || saving}
              onClick={() => setDraft(draftOf(resource.value!))}
            >
              Discard
            </button>
            <button type="button" className="btn btn-primary" disabled={!dirty || saving} onClick={save}>
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        }
      >
        Public pages where developers find this environment's published public APIs, read their documentation and sign
        up.{' '}
        {resource.value!.enabled ? (
          <a href={portalUrl} target="_blank" rel="noreferrer">
            Open the portal
          </a>
        ) : (
          'The portal is off: nothing is shown to visitors.'
        )}
      </PageHeader>
      {error ? <ErrorBanner error={error} /> : null}
      <div className="panel">
        <label className="row">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Portal
          enabled (public, no sign-in needed to browse)
        </label>
        <Field label="Title" hint="Empty: the environment's name." errors={at('name')}>
          {(p) => <input {...p} value={draft.name ?? ''} onChange={(e) => set('name', e.target.value)} />}
        </Field>
        <Field
          label="Logo"
          hint="PNG, JPEG, GIF or WebP, at most 256 KB."
          errors={[...(logoError ? [logoError] : []), ...at('logo')]}
        >
          {(p) => (
            <div className="row">
              {draft.logo && <img src={draft.logo} alt="Current logo" height={32} />}
              <input
                {...p}
                type="file"
                accept={LOGO_TYPES.join(',')}
                onChange={(e) => pickLogo(e.target.files?.[0]).catch(setError)}
              />
              {draft.logo && (
                <button type="button" className="btn" onClick={() => set('logo', null)}>
                  Remove logo
                </button>
              )}
            </div>
          )}
        </Field>
        <Field label="Accent colour" hint="#rrggbb" errors={at('primaryColor')}>
          {(p) => (
            <div className="row">
              <input
                {...p}
                type="color"
                value={draft.primaryColor}
                onChange={(e) => set('primaryColor', e.target.value)}
              />
              <span className="mono">{draft.primaryColor}</span>
            </div>
          )}
        </Field>
        <Field
          label="Sign-up"
          hint="Open: active after e-mail verification. Approval: an admin approves each sign-up. Invitation: only invited developers."
          errors={at('signup')}
        >
          {(p) => (
            <select {...p} value={draft.signup} onChange={(e) => set('signup', e.target.value as Draft['signup'])}>
              <option value="open">open</option>
              <option value="approval">approval</option>
              <option value="invitation">invitation</option>
            </select>
          )}
        </Field>
        <Field
          label="Try-it gateway URL"
          hint="The gateway URL developers call from the portal (http or https). Its APIs need a CORS policy allowing the portal's origin; see docs/portal.md."
          errors={at('tryItBaseUrl')}
        >
          {(p) => (
            <input
              {...p}
              type="url"
              placeholder="https://api.example.com"
              value={draft.tryItBaseUrl ?? ''}
              onChange={(e) => set('tryItBaseUrl', e.target.value)}
            />
          )}
        </Field>
        <Field label="Home page (markdown)" errors={at('homeMarkdown')}>
          {(p) => (
            <textarea
              {...p}
              rows={10}
              className="mono"
              value={draft.homeMarkdown}
              onChange={(e) => set('homeMarkdown', e.target.value)}
            />
          )}
        </Field>
      </div>
    </>
  );
}
