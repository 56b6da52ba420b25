/**
 * Building the bytes of Tc (deployment code) and Td (call data) for the record contracts, and
 * decoding their return data — what a workload generator needs to issue real transactions.
 */
import { concatBytes } from '../../crypto/encoding.ts';
import type { Address, ContractTxData, PersonInfo } from './api.ts';
import { abi, abiDecode, abiEncode, bigintFromBytes, encodeWithSelector, selector } from './abi.ts';
import { CODE } from './artefact.ts';
import { createdAddress } from './engine.ts';

const PERSON_INFO = abi.tuple(abi.fixedBytes(32), abi.uint(16), abi.uint(8));

function personInfoValue(info: PersonInfo): [Uint8Array, bigint, bigint] {
  return [info.nameDigest, BigInt(info.birthYear), BigInt(info.sex)];
}

export const contractTxData: ContractTxData = {
  deployRegister: (info) => concatBytes(CODE.RC.initCode, abiEncode([PERSON_INFO], [personInfoValue(info)])),
  deployRecord: (record) => concatBytes(CODE.MRC.initCode, abiEncode([abi.bytes], [record])),
  deployAccessList: () => CODE.ALC.initCode.slice(),
  personInfo: (info) => encodeWithSelector('personInfo((bytes32,uint16,uint8))', [PERSON_INFO], [personInfoValue(info)]),
  subjoin: (mrc: Address) => encodeWithSelector('subjoin(address)', [abi.address], [mrc]),
  warrant: (alc: Address) => encodeWithSelector('warrant(address)', [abi.address], [alc]),
  unwarrant: (alc: Address) => encodeWithSelector('unwarrant(address)', [abi.address], [alc]),
  query: () => selector('query()'),
  getData: () => selector('getData()'),
  createdAddress,
};

/** One anonymised record as `query()` / `getData()` return it. */
export interface RecordData {
  /** The record payload, in bytes. */
  readonly data: Uint8Array;
  /** Its MRC's deployment timestamp, in seconds. */
  readonly timestamp: number;
}

/** Decodes `query()`'s return data. */
export function decodeQueryResult(returnData: Uint8Array): RecordData {
  const [data, timestamp] = abiDecode([abi.bytes, abi.uint(64)], returnData, 'memory');
  return { data: data as Uint8Array, timestamp: Number(timestamp as bigint) };
}

/** Decodes `getData()`'s return data: the records, in the ALC's list order. */
export function decodeGetDataResult(returnData: Uint8Array): RecordData[] {
  const [records] = abiDecode([abi.array(abi.tuple(abi.bytes, abi.uint(64)))], returnData, 'memory');
  return (records as [Uint8Array, bigint][]).map(([data, timestamp]) => ({ data, timestamp: Number(timestamp) }));
}

/** The 4-byte selector at the start of call data, as a number (for metrics keyed by function). */
export function callSelector(data: Uint8Array): number | undefined {
  return data.length < 4 ? undefined : Number(bigintFromBytes(data.subarray(0, 4)));
}
