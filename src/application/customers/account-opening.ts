/**
 * Opens a self-registered account (see src/application/identity/registration.ts AccountOpening):
 * the customer, its first user and the consumed verification code, in one transaction.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { invalid } from '../../domain/errors.ts';
import { CustomerUser } from '../../persistence/entities/customer-users.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { VerificationCode } from '../../persistence/entities/verification-codes.ts';
import type { AccountOpening, RegisteredAccount } from '../identity/registration.ts';

/** {@link AccountOpening} over the database. */
export class DatabaseAccountOpening implements AccountOpening {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  /** @see AccountOpening.open */
  async open(account: RegisteredAccount): Promise<{ customerId: string; userId: string }> {
    return this.orm.em.fork().transactional(async (tx) => {
      const consumed = await tx.nativeUpdate(VerificationCode, { id: account.verificationCodeId, consumedAt: null }, { consumedAt: new Date() });
      if (consumed === 0) throw invalid('the verification code was already used; request a new one');
      const customer = tx.create(Customer, account.customer);
      const user = tx.create(CustomerUser, { ...account.user, customerId: customer.id, emailVerifiedAt: new Date() });
      await tx.flush();
      return { customerId: customer.id, userId: user.id };
    });
  }
}
