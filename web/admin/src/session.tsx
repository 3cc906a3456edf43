/**
 * The signed-in administrator: GetMe on start (the httpOnly session cookie is the browser's to
 * send), Login (the server sets the cookie), Logout (the server clears it). Operators get
 * `isAdmin: false`: admin-only actions are hidden for them (and refused by the server anyway).
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { UserInfo } from '../../../src/gen/rustbill/identity_pb.ts';
import { api } from './api.ts';

export interface Session {
  user: UserInfo | null;
  /** Role admin (not operator). */
  isAdmin: boolean;
  loading: boolean;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<UserInfo | null>(null);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    api.identity.getMe({}).then((me) => setUser(me.user?.role ? me.user : null), () => setUser(null)).finally(() => setLoading(false));
  }, []);
  const login = useCallback(async (username: string, password: string) => {
    const answer = await api.identity.login({ username, password, userType: 'admin' });
    setUser(answer.user ?? null);
  }, []);
  const logout = useCallback(async () => {
    await api.identity.logout({}).catch(() => undefined);
    setUser(null);
  }, []);
  return <SessionContext.Provider value={{ user, isAdmin: user?.role === 'admin', loading, login, logout }}>{children}</SessionContext.Provider>;
}

/** The session (inside SessionProvider). */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
