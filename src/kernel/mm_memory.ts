// mm/memory.c, the one rule of it the model states on its own: how a fault installs a PTE
// (vmf_insert_pfn_prot → insert_pfn). Written once here for the kernel model's CPU fault handler
// (bo_vm.ts) and the stress programs' shared-memory page tables (src/stress/programs.ts); it imports
// nothing, so the stress worker threads load it alone.

/**
 * The PTE install rule, written once for the kernel model and the stress programs (src/stress/programs.ts,
 * which install with a compare-and-exchange): a fault installs a PTE only where none is; a present one
 * is left as it is and the fault still succeeds (mm/memory.c, insert_pfn: "entry = ptep_get(pte);
 * if (!pte_none(entry)) {" ends in "goto out_unlock" without a store, outside mkwrite; vmf_insert_pfn_prot
 * returns VM_FAULT_NOPAGE either way).
 */
export function pteInsertOutcome(present: boolean): 'install' | 'present' {
  return present ? 'present' : 'install';
}
