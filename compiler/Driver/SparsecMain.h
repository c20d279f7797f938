//===- SparsecMain.h - the sparsec command-line driver ----------*- C++ -*-===//

#ifndef SPARSEC_COMPILER_DRIVER_SPARSECMAIN_H
#define SPARSEC_COMPILER_DRIVER_SPARSECMAIN_H

namespace mlir::sparsec {

/// Entry point of the `sparsec` tool (subcommands: import).
int sparsecMain(int argc, char **argv);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_DRIVER_SPARSECMAIN_H
