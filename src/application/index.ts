/**
 * The application services of one worker (ARCHITECTURE.md "Layers"): each runs one use case in one
 * transaction or actor command, audit row included, on the domain rules of src/domain. Built once
 * per worker from the infrastructure it needs; the gRPC handlers call them.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Identity } from '../identity/module.ts';
import { CustomerAccounts, type CustomerActors } from './customers/customer-accounts.ts';
import { Accounts } from './identity/accounts.ts';
import { Registration } from './identity/registration.ts';
import { UserAdministration } from './identity/user-administration.ts';

/** Every application service. */
export interface Application {
  customers: CustomerAccounts;
  accounts: Accounts;
  registration: Registration;
  users: UserAdministration;
}

/** Builds the application services over `orm`, the identity components and the customer actors. */
export function createApplication(deps: { orm: MikroORM; identity: Identity; actors: CustomerActors }): Application {
  const { orm, identity, actors } = deps;
  const customers = new CustomerAccounts({ orm, actors });
  return {
    customers,
    accounts: new Accounts({ orm, identity }),
    registration: new Registration({ orm, identity, accounts: customers }),
    users: new UserAdministration({ orm, identity }),
  };
}
