// SPDX-License-Identifier: MIT
// Seed 001 §3, Protocol 2: the medical-record contract (MRC), one per record.
pragma solidity 0.8.30;

import {AddressList} from "./AddressList.sol";
import {IAccessList, IMedicalRecord} from "./Interfaces.sol";

contract MedicalRecordContract is IMedicalRecord {
    using AddressList for AddressList.List;

    /// Protocol 2 `Addr = msg.sender`, never modified: an immutable.
    address public immutable owner;
    /// Protocol 2 `MRInfo` timestamp: the deployment block's timestamp, in seconds.
    uint64 public immutable timestamp;
    /// Protocol 2 `MRInfo` data.
    bytes private record;
    /// Protocol 2 `Alist`: the warranted access-list contracts (one per institution).
    AddressList.List private authorised;

    error NotOwner(address caller);
    error AlreadyWarranted(address alc);
    error NotWarranted(address alc);

    event Warranted(address indexed alc);
    event Unwarranted(address indexed alc);

    constructor(bytes memory data) {
        owner = msg.sender;
        timestamp = uint64(block.timestamp);
        record = data;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Protocol 2 `warrant(InstAddr)`: `alc` is the institution's access-list contract, which lists
    /// this record in the same transaction (it reverts unless `alc` is an ALC).
    function warrant(address alc) external onlyOwner {
        if (!authorised.add(alc)) revert AlreadyWarranted(alc);
        emit Warranted(alc);
        IAccessList(alc).add();
    }

    /// Protocol 2 `unwarrant(InstAddr)`: remove by value (AddressList, for the paper's
    /// `Alist.pop(InstAddr)`), then delist this record from the ALC (seed 001 §3: "the ALC deletes
    /// the record automatically").
    function unwarrant(address alc) external onlyOwner {
        if (!authorised.remove(alc)) revert NotWarranted(alc);
        emit Unwarranted(alc);
        IAccessList(alc).remove();
    }

    /// Protocol 2 `query()`: owner only.
    function query() external view onlyOwner returns (bytes memory, uint64) {
        return (record, timestamp);
    }

    function readFor() external view returns (bytes memory, uint64) {
        if (!authorised.contains(msg.sender)) revert NotWarranted(msg.sender);
        return (record, timestamp);
    }

    function isWarranted(address alc) external view returns (bool) {
        return authorised.contains(alc);
    }

    function authorisedList() external view returns (address[] memory) {
        return authorised.items;
    }
}
