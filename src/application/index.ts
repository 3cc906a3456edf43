/**
 * The application services of one worker (ARCHITECTURE.md "Layers"): each runs one use case in one
 * transaction or actor command, audit row included, on the domain rules of src/domain. Built once
 * per worker from the infrastructure it needs; the gRPC handlers call them.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Identity } from '../identity/module.ts';
import { ProductCategories } from './catalog/product-categories.ts';
import { ProductGroups } from './catalog/product-groups.ts';
import { ProductSync } from './catalog/product-sync.ts';
import { ProductCatalog } from './catalog/products.ts';
import type { ProviderProducts } from './catalog/provider-products.ts';
import { DatabaseAccountOpening } from './customers/account-opening.ts';
import { Accounts } from './identity/accounts.ts';
import { Registration } from './identity/registration.ts';
import { UserAdministration } from './identity/user-administration.ts';

/** Every application service. */
export interface Application {
  accounts: Accounts;
  registration: Registration;
  users: UserAdministration;
}

/** Builds the application services over `orm` and the identity components. */
export function createApplication(deps: { orm: MikroORM; identity: Identity }): Application {
  const { orm, identity } = deps;
  return {
    accounts: new Accounts({ orm, identity }),
    registration: new Registration({ orm, identity, accounts: new DatabaseAccountOpening(orm) }),
    users: new UserAdministration({ orm, identity }),
  };
}

/** The catalog's application services (ProductService, ProductGroupService, ProductCategoryService). */
export interface Catalog {
  products: ProductCatalog;
  /** SyncProducts and ImportUpstreamProducts (also for IntegrationService/SyncProducts). */
  sync: ProductSync;
  groups: ProductGroups;
  categories: ProductCategories;
}

/** Builds the catalog's services over `orm`, getting providers' products through `providers` (the plugin registry). */
export function createCatalog(deps: { orm: MikroORM; providers: ProviderProducts }): Catalog {
  const { orm, providers } = deps;
  return {
    products: new ProductCatalog({ orm }),
    sync: new ProductSync({ orm, providers }),
    groups: new ProductGroups({ orm }),
    categories: new ProductCategories({ orm }),
  };
}
