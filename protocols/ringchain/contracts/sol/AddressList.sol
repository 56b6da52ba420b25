// SPDX-License-Identifier: MIT
// The authorisation lists of seed 001 §3 (MRC `Alist`, ALC `Alist`): a set of addresses that can be
// listed and removed from by value in O(1).
pragma solidity 0.8.30;

/// Protocol 2's `Alist.pop(InstAddr)` is not Solidity — `pop()` takes no argument and drops the last
/// element. Removal by value: each entry's 1-based position is kept in a mapping; the last entry
/// moves into the freed place, then `pop()`.
library AddressList {
    struct List {
        address[] items;
        mapping(address => uint256) position; // 1-based index in `items`, 0 when absent
    }

    function contains(List storage list, address item) internal view returns (bool) {
        return list.position[item] != 0;
    }

    /// Appends `item`; false (and no change) if it is already listed.
    function add(List storage list, address item) internal returns (bool) {
        if (list.position[item] != 0) return false;
        list.items.push(item);
        list.position[item] = list.items.length;
        return true;
    }

    /// Removes `item` by value; false (and no change) if it is not listed.
    function remove(List storage list, address item) internal returns (bool) {
        uint256 p = list.position[item];
        if (p == 0) return false;
        uint256 last = list.items.length;
        if (p != last) {
            address moved = list.items[last - 1];
            list.items[p - 1] = moved;
            list.position[moved] = p;
        }
        list.items.pop();
        delete list.position[item];
        return true;
    }
}
