/**
 * The built-in "balance" payment method (issue 8): listed by ListGateways like a gateway, it pays
 * from the customer's balance plus credit limit. Its id is fixed so clients can store it.
 */
export const BALANCE_METHOD_ID = '00000000-0000-7000-8000-000000000001';
/** How ListGateways names the balance method. */
export const BALANCE_METHOD_NAME = 'Balance';
