/**
 * The benchmark's yardstick: a bare `@grpc/grpc-js` server answering GetMe's path
 * (`/rustbill.identity.IdentityService/GetMe`) with a fixed user, (de)serializing with the same
 * generated protobuf-es code NodeBill uses — transport and codec, nothing else. Run as its own
 * process by bench/run.ts; prints `listening <port>` once ready and serves until killed.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { GetMeResponseSchema, IdentityService, type GetMeRequest, type GetMeResponse } from '../src/gen/rustbill/identity_pb.ts';
import { serviceDefinition } from './grpc-js.ts';

const user = {
  id: '01900000-0000-7000-8000-000000000001',
  username: 'admin',
  email: 'admin@example.com',
  displayName: 'Admin',
  role: 'admin',
  isActive: true,
  createdAt: '2026-01-01T00:00:00Z',
  userType: 'admin',
  customerId: '',
};
const server = new grpc.Server();
server.addService(serviceDefinition(IdentityService), {
  getMe: (_call: grpc.ServerUnaryCall<GetMeRequest, GetMeResponse>, callback: grpc.sendUnaryData<GetMeResponse>) => {
    callback(null, create(GetMeResponseSchema, { user }));
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`listening ${port}\n`);
});
