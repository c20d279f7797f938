//===- sparsec.cpp - the sparsec compiler driver ----------------*- C++ -*-===//

#include "compiler/Driver/SparsecMain.h"

int main(int argc, char **argv) {
  return mlir::sparsec::sparsecMain(argc, argv);
}
