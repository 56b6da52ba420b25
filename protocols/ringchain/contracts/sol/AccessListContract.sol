// SPDX-License-Identifier: MIT
// Seed 001 §3, Protocol 3: the access-list contract (ALC), one per institution.
pragma solidity 0.8.30;

import {AddressList} from "./AddressList.sol";
import {IAccessList, IMedicalRecord} from "./Interfaces.sol";

contract AccessListContract is IAccessList {
    using AddressList for AddressList.List;

    /// An anonymised record: the data and its timestamp, without the owner.
    struct Record {
        bytes data;
        uint64 timestamp;
    }

    /// Protocol 3 `InstAddr = msg.sender`, never modified: an immutable.
    address public immutable institution;
    /// Protocol 3 `Alist`: the MRCs that currently warrant this institution.
    AddressList.List private records;

    error NotInstitution(address caller);
    error NotWarrantedBy(address record);
    error StillWarrantedBy(address record);
    error AlreadyListed(address record);
    error NotListed(address record);

    event Listed(address indexed record);
    event Delisted(address indexed record);

    constructor() {
        institution = msg.sender;
    }

    /// Called by an MRC from `warrant`. Asking the caller back means only a record that really
    /// warrants this ALC gets listed (an account without code cannot answer, so the call reverts).
    function add() external {
        if (!IMedicalRecord(msg.sender).isWarranted(address(this))) revert NotWarrantedBy(msg.sender);
        if (!records.add(msg.sender)) revert AlreadyListed(msg.sender);
        emit Listed(msg.sender);
    }

    /// Called by an MRC from `unwarrant`: the automatic removal of seed 001 §3.
    function remove() external {
        if (IMedicalRecord(msg.sender).isWarranted(address(this))) revert StillWarrantedBy(msg.sender);
        if (!records.remove(msg.sender)) revert NotListed(msg.sender);
        emit Delisted(msg.sender);
    }

    /// Protocol 3 `getData()`: institution only; the anonymised records it may read.
    function getData() external view returns (Record[] memory out) {
        if (msg.sender != institution) revert NotInstitution(msg.sender);
        uint256 n = records.items.length;
        out = new Record[](n);
        for (uint256 i = 0; i < n; i++) {
            (bytes memory data, uint64 timestamp) = IMedicalRecord(records.items[i]).readFor();
            out[i] = Record(data, timestamp);
        }
    }

    function recordList() external view returns (address[] memory) {
        return records.items;
    }
}
