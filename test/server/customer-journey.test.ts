/** A customer's whole journey over gRPC-Web (issue 9) against one node with two workers: test/support/customer-journey.ts. */
import { customerJourney } from '../support/customer-journey.ts';
import { startMoneyBed } from '../support/money-fixture.ts';

customerJourney({ title: "a customer's journey over gRPC-Web", startBed: () => startMoneyBed({ workers: 2 }) });
