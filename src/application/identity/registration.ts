/**
 * Customer self-registration (IdentityService SendVerificationCode, Register; handbook 2.2): a code
 * e-mailed through the notifiers, then the customer and its first user in one transaction that
 * also consumes the code.
 */
import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import { alreadyExists, DomainError, invalid, requireValid } from '../../domain/errors.ts';
import { hashPassword } from '../../domain/identity/passwords.ts';
import {
  displayNameProblem, emailProblem, normalizeEmail, passwordProblem, usernameProblem, type VerificationPurpose,
} from '../../domain/identity/validation.ts';
import type { Identity } from '../../identity/module.ts';
import { CustomerUser } from '../../persistence/entities/customer-users.ts';

/** A customer account opened by self-registration: the customer, its first user, the code it used. */
export interface RegisteredAccount {
  customer: { name: string; contactPerson: string; email: string };
  user: { username: string; email: string; displayName: string; passwordHash: string };
  /** The verification code to consume in the same transaction (a used code refuses the registration). */
  verificationCodeId: string;
}

/**
 * Opens a registered account in one transaction: the customer (through its actor), the consumed
 * code and the user. Implemented by src/application/customers.
 */
export interface AccountOpening {
  /**
   * @returns the new customer's and user's ids
   * @throws DomainError invalid_argument when the code was used meanwhile, already_exists when the
   *   username or e-mail address was taken meanwhile
   */
  open(account: RegisteredAccount): Promise<{ customerId: string; userId: string }>;
}

/** Retry hint of SendVerificationCode (one code per address per minute), in seconds. */
export const CODE_RESEND_SECS = 60;

/** A registration form. */
export interface RegistrationForm {
  username: string;
  email: string;
  displayName: string;
  password: string;
  verificationCode: string;
}

function tooMany(message: string): DomainError {
  return new DomainError('resource_exhausted', message);
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class Registration {
  private readonly orm: MikroORM;
  private readonly identity: Identity;
  private readonly accounts: AccountOpening;

  constructor(deps: { orm: MikroORM; identity: Identity; accounts: AccountOpening }) {
    this.orm = deps.orm;
    this.identity = deps.identity;
    this.accounts = deps.accounts;
  }

  /**
   * Sends a verification code to `email`. For a password reset of an unknown address the answer is
   * the same and nothing is sent, so addresses cannot be probed.
   * @throws DomainError invalid_argument (address, rate limits), already_exists (registration of a
   *   registered address), unavailable (no code could be delivered)
   */
  async sendCode(rawEmail: string, purpose: VerificationPurpose, clientAddress: string): Promise<{ email: string }> {
    requireValid(emailProblem(rawEmail.trim()));
    const email = normalizeEmail(rawEmail);
    const registered = (await this.orm.em.fork().count(CustomerUser, { email })) > 0;
    if (purpose === 'registration' && registered) throw alreadyExists('this e-mail address is already registered; log in instead');
    const perAddress = await this.identity.rateLimits.consume('verification_address', clientAddress || 'unknown');
    if (perAddress !== null) throw invalid(`too many verification codes requested from your address; retry in ${perAddress} s`);
    const perEmail = await this.identity.rateLimits.consume('verification_email', email);
    if (perEmail !== null) throw invalid(`a code was sent to this address moments ago; retry in ${perEmail} s`);
    if (purpose === 'registration' || registered) {
      try {
        await this.identity.codes.send(email, purpose);
      } catch (error) {
        this.identity.log.error({ err: error, email }, 'verification code not delivered');
        throw new DomainError('unavailable', 'the e-mail service is unavailable, so no code was sent; try again later');
      }
    }
    return { email };
  }

  /**
   * Registers a customer and its first user with a valid, unused code ({@link AccountOpening}).
   * @throws DomainError resource_exhausted (rate limit), invalid_argument (a field, the code, a
   *   taken username), already_exists (a registered e-mail address)
   */
  async register(form: RegistrationForm, clientAddress: string): Promise<{ customerId: string; userId: string }> {
    const wait = await this.identity.rateLimits.consume('register', clientAddress || 'unknown');
    if (wait !== null) throw tooMany(`too many register attempts from your address; retry in ${wait} s`);
    requireValid(usernameProblem(form.username));
    requireValid(emailProblem(form.email.trim()));
    requireValid(displayNameProblem(form.displayName));
    requireValid(passwordProblem(form.password));
    if (form.verificationCode === '') throw invalid('verification_code is required; request one with SendVerificationCode');
    const email = normalizeEmail(form.email);
    const em = this.orm.em.fork();
    if (await em.count(CustomerUser, { username: form.username })) throw invalid(`username "${form.username}" is already taken`);
    if (await em.count(CustomerUser, { email })) throw alreadyExists('this e-mail address is already registered; log in instead');
    const code = await this.identity.codes.check(email, 'registration', form.verificationCode);
    if ('problem' in code) throw invalid(code.problem);
    const passwordHash = await hashPassword(form.password);
    const name = form.displayName.trim();
    try {
      const opened = await this.accounts.open({
        customer: { name, contactPerson: name, email },
        user: { username: form.username, email, displayName: name, passwordHash },
        verificationCodeId: code.id,
      });
      this.identity.log.info(opened, 'customer registered');
      return opened;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw alreadyExists('this username or e-mail address is already registered');
      throw error;
    }
  }
}
