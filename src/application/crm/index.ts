/**
 * The CRM extension's application services (issue 10; README "Customer relationship
 * management"), built once per worker over the ORM, the customers' actors and `[crm]`.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AppConfig } from '../../../cluster.config.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import type { CustomerAccounts } from '../customers/customer-accounts.ts';
import { crmPolicyOf } from './crm-policy.ts';
import { CustomerCrm } from './customer-crm.ts';
import { CustomerDirectory } from './customer-directory.ts';
import { CustomerExports } from './customer-export.ts';
import { CustomerImports } from './customer-import.ts';
import { CustomerReports } from './customer-reports.ts';
import { CustomerScores } from './customer-scores.ts';

/** See the file comment. */
export interface CrmApplication {
  /** CustomerService's customer RPCs and the CRM commands. */
  customers: CustomerCrm;
  directory: CustomerDirectory;
  reports: CustomerReports;
  scores: CustomerScores;
  imports: CustomerImports;
  exports: CustomerExports;
  /** `[crm] vip_default_limit`. */
  vipDefaultLimit: number;
}

/** Builds the CRM services. */
export function createCrm(deps: {
  orm: MikroORM;
  accounts: CustomerAccounts;
  money: AccountCommands;
  config: Pick<AppConfig, 'crm' | 'billing'>;
  log: Pick<Logger, 'warn' | 'info'>;
}): CrmApplication {
  const { orm, config, log } = deps;
  const policy = crmPolicyOf(config);
  const directory = new CustomerDirectory({ orm, policy });
  const scores = new CustomerScores({ orm, policy });
  return {
    customers: new CustomerCrm({ accounts: deps.accounts, money: deps.money, directory, scores, log }),
    directory,
    reports: new CustomerReports({ orm, directory }),
    scores,
    imports: new CustomerImports({
      orm, accounts: deps.accounts, scores, log,
      limits: { maxBytes: config.crm.import_max_bytes, maxRows: config.crm.import_max_rows, concurrency: config.crm.import_concurrency },
    }),
    exports: new CustomerExports({ directory, maxRows: config.crm.import_max_rows }),
    vipDefaultLimit: config.crm.vip_default_limit,
  };
}
