/** The environment's portal settings (name, logo, colour, sign-up policy), loaded once per environment. */
import { useQuery } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { type PortalSettings, portalApi } from './api';

interface EnvContext {
  env: string;
  settings: PortalSettings;
}

const Context = createContext<EnvContext | null>(null);

export function usePortalSettings(env: string) {
  return useQuery({ queryKey: ['portal', env, 'settings'], queryFn: () => portalApi.settings(env), staleTime: 60_000 });
}

/** White or near-black text, whichever reads better on the chosen primary colour (WCAG contrast). */
export function contrastText(hex: string): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return '#ffffff';
  const n = Number.parseInt(m[1]!, 16);
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#111111';
}

export function EnvProvider({ env, settings, children }: EnvContext & { children: ReactNode }) {
  useEffect(() => {
    // CSSOM, not a style attribute or <style>: allowed by the strict CSP.
    const root = document.documentElement.style;
    root.setProperty('--primary', settings.primaryColor);
    root.setProperty('--on-primary', contrastText(settings.primaryColor));
    document.title = settings.name;
  }, [settings]);
  return <Context.Provider value={{ env, settings }}>{children}</Context.Provider>;
}

export function useEnvSettings(): EnvContext {
  const value = useContext(Context);
  if (!value) throw new Error('useEnvSettings outside EnvProvider');
  return value;
}
