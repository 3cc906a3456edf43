import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { digestsEqual, newVerificationCode, verificationCodeHash } from '../domain/identity/secrets.ts';
import type { VerificationPurpose } from '../domain/identity/validation.ts';
import { VerificationCode } from '../persistence/entities/verification-codes.ts';
import type { NotificationDispatcher } from '../plugins/notifications.ts';

/** How long a code is valid. */
export const CODE_TTL_MS = 10 * 60_000;
/** Wrong guesses after which a code is dead. */
export const MAX_CODE_ATTEMPTS = 5;

/** Delivers a verification code to an address (through notifier plugins once they exist). */
export interface CodeDelivery {
  deliver(email: string, purpose: VerificationPurpose, code: string): Promise<void>;
}

/**
 * Development delivery until the plugin system exists: the code is written to the server log
 * (issue 2: "logged in development until then").
 */
export class LogCodeDelivery implements CodeDelivery {
  private readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }
  async deliver(email: string, purpose: VerificationPurpose, code: string): Promise<void> {
    this.log.info({ email, purpose, code }, 'verification code (development delivery: no notifier plugin yet)');
  }
}

/** The event notifier plugins receive verification codes under. */
export const VERIFICATION_EVENT = 'verification_code';

/**
 * Delivery through notifier plugins: channels that list `verification_code` in their
 * supported_events, or e-mail notifiers that accept every event. Codes never go to channels that
 * merely accept everything (a webhook would leak them). With no such channel configured the code is
 * logged (development); when channels exist but all fail, delivery fails.
 */
export class NotifierCodeDelivery implements CodeDelivery {
  private readonly dispatcher: NotificationDispatcher;
  private readonly fallback: CodeDelivery;

  constructor(dispatcher: NotificationDispatcher, fallback: CodeDelivery) {
    this.dispatcher = dispatcher;
    this.fallback = fallback;
  }

  /** @throws Error when every eligible channel failed (the messages say why). */
  async deliver(email: string, purpose: VerificationPurpose, code: string): Promise<void> {
    const channels = (await this.dispatcher.channels()).filter(
      (channel) => channel.supportedEvents.includes(VERIFICATION_EVENT) || (channel.supportedEvents.length === 0 && channel.pluginId === 'email'),
    );
    if (channels.length === 0) {
      await this.fallback.deliver(email, purpose, code);
      return;
    }
    const action = purpose === 'registration' ? 'complete your registration' : 'reset your password';
    const results = await this.dispatcher.send(
      {
        eventType: VERIFICATION_EVENT,
        title: 'Your verification code',
        body: `Your verification code is ${code}. Use it within 10 minutes to ${action}. If you did not ask for it, ignore this message.`,
        recipient: email,
        metadata: { purpose },
      },
      channels.map((channel) => channel.id),
    );
    if (!results.some((result) => result.success)) {
      throw new Error(`no notification channel delivered the code: ${results.map((result) => result.error).join('; ')}`);
    }
  }
}

/**
 * E-mailed one-time codes for registration and password reset (SendVerificationCode): 6 digits,
 * stored as an HMAC bound to address and purpose, valid 10 minutes, at most 5 wrong guesses,
 * consumed once. A new code replaces the earlier ones of the same address and purpose.
 */
export class VerificationCodes {
  private readonly orm: MikroORM;
  private readonly secret: string;
  private readonly delivery: CodeDelivery;

  constructor(orm: MikroORM, secret: string, delivery: CodeDelivery) {
    this.orm = orm;
    this.secret = secret;
    this.delivery = delivery;
  }

  /** Creates, stores and delivers a new code. @throws Error when delivery fails (the code is then withdrawn). */
  async send(email: string, purpose: VerificationPurpose): Promise<void> {
    const code = newVerificationCode();
    const em = this.orm.em.fork();
    const now = new Date();
    await em.nativeUpdate(VerificationCode, { email, purpose, consumedAt: null }, { consumedAt: now });
    const row = em.create(VerificationCode, {
      email,
      purpose,
      codeHash: verificationCodeHash(this.secret, email, purpose, code),
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
    });
    await em.flush();
    try {
      await this.delivery.deliver(email, purpose, code);
    } catch (error) {
      await em.nativeDelete(VerificationCode, { id: row.id });
      throw error;
    }
  }

  /**
   * Checks a code without consuming it; counts a wrong guess.
   * @returns the code row id when valid, or a problem a person can act on.
   */
  async check(email: string, purpose: VerificationPurpose, code: string): Promise<{ id: string } | { problem: string }> {
    const em = this.orm.em.fork();
    const row = await em.findOne(VerificationCode, { email, purpose, consumedAt: null }, { orderBy: { createdAt: 'desc' } });
    if (!row) return { problem: 'no verification code was requested for this e-mail address; request one with SendVerificationCode' };
    if (row.expiresAt.getTime() <= Date.now()) return { problem: 'the verification code has expired; request a new one' };
    if (row.attempts >= MAX_CODE_ATTEMPTS) return { problem: 'too many wrong verification codes; request a new one' };
    if (!/^\d{6}$/.test(code) || !digestsEqual(row.codeHash, verificationCodeHash(this.secret, email, purpose, code))) {
      await em.nativeUpdate(VerificationCode, { id: row.id }, { attempts: row.attempts + 1 });
      return { problem: 'the verification code is wrong' };
    }
    return { id: row.id };
  }
}
