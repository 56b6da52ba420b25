// SPDX-License-Identifier: MIT
// Seed 001 §3, Protocol 1: the register contract (RC), one per patient.
pragma solidity 0.8.30;

contract RegisterContract {
    /// Protocol 1's `Pinfo`. The chain is public, so the name is stored as a digest.
    struct PersonInfo {
        bytes32 nameDigest; // Keccak-256 of the patient's name
        uint16 birthYear;
        uint8 sex; // ISO/IEC 5218 code
    }

    /// Protocol 1 `Addr = msg.sender` in the constructor, never modified: an immutable.
    address public immutable owner;
    PersonInfo public info;
    /// Protocol 1 `Mlist`: the patient's MRC addresses, append only (no delete, seed 001 §3).
    address[] private records;

    error NotOwner(address caller);

    event InfoUpdated();
    event Subjoined(address indexed record);

    constructor(PersonInfo memory initial) {
        owner = msg.sender;
        info = initial;
    }

    /// Protocol 1's `if msg.sender == Addr ... end if` as a revert, so a refused call is visible.
    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Protocol 1 `personInfo(Pinfo)`: owner only.
    function personInfo(PersonInfo calldata next) external onlyOwner {
        info = next;
        emit InfoUpdated();
    }

    /// Protocol 1 `subjoin(MRCAddr)`: owner only, appends.
    function subjoin(address record) external onlyOwner {
        records.push(record);
        emit Subjoined(record);
    }

    function recordList() external view returns (address[] memory) {
        return records;
    }
}
