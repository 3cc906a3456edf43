import type { DescFile, DescService } from '@bufbuild/protobuf';
import { BalanceService, file_rustbill_balance } from '../gen/rustbill/balance_pb.ts';
import { BillingService, file_rustbill_billing } from '../gen/rustbill/billing_pb.ts';
import { file_rustbill_common } from '../gen/rustbill/common_pb.ts';
import { CustomerService, file_rustbill_customer } from '../gen/rustbill/customer_pb.ts';
import { ApiKeyService, file_rustbill_downstream } from '../gen/rustbill/downstream_pb.ts';
import { IdentityService, file_rustbill_identity } from '../gen/rustbill/identity_pb.ts';
import { InstanceService, file_rustbill_instance } from '../gen/rustbill/instance_pb.ts';
import { IntegrationService, file_rustbill_integration } from '../gen/rustbill/integration_pb.ts';
import { NotificationService, file_rustbill_notification } from '../gen/rustbill/notification_pb.ts';
import { OrderService, file_rustbill_order } from '../gen/rustbill/order_pb.ts';
import { PaymentService, file_rustbill_payment } from '../gen/rustbill/payment_pb.ts';
import { ProductService, file_rustbill_product } from '../gen/rustbill/product_pb.ts';
import {
  ProductCategoryService,
  file_rustbill_product_category,
} from '../gen/rustbill/product_category_pb.ts';
import { ProductGroupService, file_rustbill_product_group } from '../gen/rustbill/product_group_pb.ts';
import { TicketService, file_rustbill_ticket } from '../gen/rustbill/ticket_pb.ts';

/**
 * Every gRPC service of the RustBill wire contract that NodeBill serves: the 10 services of the
 * RustBill handbook followed by the 4 services of `extra-services.md`
 * (`rustbill.product.ProductCategoryService`, `rustbill.product.ProductGroupService`,
 * `rustbill.instance.InstanceService`, `rustbill.balance.BalanceService`).
 */
export const ALL_SERVICES: readonly DescService[] = Object.freeze([
  IdentityService,
  ProductService,
  CustomerService,
  OrderService,
  BillingService,
  PaymentService,
  IntegrationService,
  NotificationService,
  TicketService,
  ApiKeyService,
  ProductCategoryService,
  ProductGroupService,
  InstanceService,
  BalanceService,
]);

/**
 * The file descriptors of every generated `proto/rustbill/*.proto` file, dependencies before
 * dependents (`rustbill/common.proto` first). Server reflection and registries
 * (`createFileRegistry(...ALL_FILES)`) are built from these.
 */
export const ALL_FILES: readonly DescFile[] = Object.freeze([
  file_rustbill_common,
  file_rustbill_identity,
  file_rustbill_product,
  file_rustbill_product_category,
  file_rustbill_product_group,
  file_rustbill_customer,
  file_rustbill_order,
  file_rustbill_billing,
  file_rustbill_payment,
  file_rustbill_integration,
  file_rustbill_notification,
  file_rustbill_ticket,
  file_rustbill_downstream,
  file_rustbill_instance,
  file_rustbill_balance,
]);
