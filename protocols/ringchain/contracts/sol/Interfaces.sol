// SPDX-License-Identifier: MIT
// Seed 001 §3: the calls the record contracts make to each other.
pragma solidity 0.8.30;

/// What an access-list contract (ALC) asks of a medical-record contract (MRC).
interface IMedicalRecord {
    /// True while `alc` is on this record's authorisation list.
    function isWarranted(address alc) external view returns (bool);
    /// The record for a warranted ALC (anonymised: no owner), reverts for anyone else.
    function readFor() external view returns (bytes memory record, uint64 timestamp);
}

/// What an MRC tells an ALC when its owner warrants or unwarrants the ALC's institution.
interface IAccessList {
    /// Lists the calling MRC; it must currently warrant this ALC.
    function add() external;
    /// Delists the calling MRC; it must no longer warrant this ALC.
    function remove() external;
}
