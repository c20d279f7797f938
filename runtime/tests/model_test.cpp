//===- model_test.cpp - loading a compiled model's folder -------*- C++ -*-===//
//
// The weights file is written by SafetensorsWriter (as the packer does), the
// manifest by test_model.cpp; each case breaks one link between them.
//
//===----------------------------------------------------------------------===//

#include "model/model.h"
#include "test_model.h"

#include "sparsec/formats/safetensors_writer.h"
#include "sparsec/weights_layout.h"

#include <gtest/gtest.h>

namespace sparsec {
namespace {

using testing::TempDir;
using testing::TestModelSpec;

class ModelTest : public ::testing::Test {
protected:
  void expectError(const std::string &needle,
                   StatusCode code = StatusCode::kDataLoss) {
    StatusOr<std::unique_ptr<Model>> model = Model::load(dir.path());
    ASSERT_FALSE(model.isOk())
        << "loaded a model expected to fail with: " << needle;
    const std::string &message = model.status().message();
    EXPECT_NE(message.find(needle), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(model.status().code(), code) << message;
  }
  std::string weightsPath() const { return dir.file("weights.safetensors"); }

  TempDir dir;
};

TEST_F(ModelTest, LoadsAConsistentFolder) {
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  StatusOr<std::unique_ptr<Model>> model = Model::load(dir.path());
  ASSERT_TRUE(model.isOk()) << model.status().message();
  const Model &m = **model;
  EXPECT_EQ(m.manifest().tensors.size(), 6u);
  EXPECT_EQ(m.manifestPath(), dir.file("manifest.json"));

  // The data section is where every manifest offset points.
  const SafetensorsFile &file = m.weights();
  EXPECT_EQ(m.weightsData(), file.fileData() + file.dataOffset());
  EXPECT_EQ(m.weightsSize(), file.fileSize() - file.dataOffset());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m.weightsData()) % 64, 0u);
  uint64_t end = 0;
  uint8_t fill = 1;
  for (const ManifestTensor &tensor : m.manifest().tensors) {
    EXPECT_EQ(m.weightsData()[tensor.offset], fill) << tensor.name;
    EXPECT_EQ(m.weightsData()[tensor.offset + tensor.nbytes - 1], fill)
        << tensor.name;
    end = tensor.offset + tensor.nbytes;
    ++fill;
  }
  EXPECT_EQ(end, m.weightsSize());

  StatusOr<AlignedBuffer> cache = m.allocateKvCache();
  ASSERT_TRUE(cache.isOk());
  EXPECT_EQ(cache->size(), 1000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(cache->data()) % 64, 0u);
  for (size_t i = 0; i < cache->size(); ++i)
    ASSERT_EQ(cache->data()[i], 0) << i;
  cache->data()[7] = 3;
  cache->clear();
  EXPECT_EQ(cache->data()[7], 0);
}

TEST_F(ModelTest, ZeroByteKvCacheStillHasAPointer) {
  StatusOr<AlignedBuffer> buffer = AlignedBuffer::allocate(0);
  ASSERT_TRUE(buffer.isOk());
  EXPECT_NE(buffer->data(), nullptr);
  EXPECT_EQ(buffer->size(), 0u);
}

TEST_F(ModelTest, RejectsMissingManifest) {
  expectError(dir.file("manifest.json") + ": cannot open",
              StatusCode::kNotFound);
}

TEST_F(ModelTest, RejectsMissingWeightsFile) {
  testing::writeManifest(dir.path(), testing::testManifest({}));
  expectError(weightsPath() +
                  ": cannot open: No such file or directory (the "
                  "weights file that " +
                  dir.file("manifest.json") + " names)",
              StatusCode::kNotFound);
}

TEST_F(ModelTest, RejectsLayoutVersionMismatch) {
  TestModelSpec spec;
  spec.metadata[SPARSEC_METADATA_LAYOUT_VERSION] = "2";
  ASSERT_TRUE(testing::writeTestModel(dir.path(), spec).isOk());
  expectError(weightsPath() +
                  ": __metadata__ 'sparsec.layout_version' is "
                  "'2', but " +
                  dir.file("manifest.json") + " key 'layout_version' is '1'",
              StatusCode::kFailedPrecondition);
}

TEST_F(ModelTest, RejectsSourceHashMismatch) {
  TestModelSpec spec;
  ASSERT_TRUE(testing::writeTestModel(dir.path(), spec).isOk());
  spec.sourceHash = "fedcba9876543210";
  ASSERT_TRUE(testing::writeTestWeights(dir.path(), spec).isOk());
  expectError(weightsPath() +
                  ": __metadata__ 'sparsec.source_hash' is "
                  "'fedcba9876543210', but " +
                  dir.file("manifest.json") +
                  " key 'source_hash' is '0123456789abcdef'; the weights "
                  "file does not belong to this model executable",
              StatusCode::kFailedPrecondition);
}

TEST_F(ModelTest, RejectsWeightsWithoutSparsecMetadata) {
  TestModelSpec spec;
  ASSERT_TRUE(testing::writeTestModel(dir.path(), spec).isOk());
  // A plain safetensors file: no sparsec metadata at all.
  SafetensorsWriter writer;
  writer.add("x", DType::kF32, {1}, [](uint8_t *) { return Status::ok(); });
  ASSERT_TRUE(writer.write(weightsPath()).isOk());
  expectError(weightsPath() + ": __metadata__ lacks 'sparsec.layout_version'");
}

TEST_F(ModelTest, RejectsTensorMissingFromWeights) {
  TestModelSpec spec;
  spec.omitTensor = "model.layers.0.mlp.predictor.fc1.weight";
  testing::writeManifest(dir.path(), testing::testManifest(spec));
  ASSERT_TRUE(testing::writeTestWeights(dir.path(), spec).isOk());
  expectError(weightsPath() +
                  ": tensor 'model.layers.0.mlp.predictor.fc1.weight' is "
                  "listed in " +
                  dir.file("manifest.json") +
                  " but missing from the weights file",
              StatusCode::kNotFound);
}

TEST_F(ModelTest, RejectsOffsetMismatch) {
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  nlohmann::ordered_json json = testing::testManifest({});
  // Shift the last tensor: still in data order, but not where it lies.
  uint64_t offset = json["tensors"][5]["offset"].get<uint64_t>();
  json["tensors"][5]["offset"] = offset + 64;
  testing::writeManifest(dir.path(), json);
  expectError(weightsPath() +
              ": tensor 'model.norm.weight' starts at data "
              "offset " +
              std::to_string(offset) + ", but " + dir.file("manifest.json") +
              " says " + std::to_string(offset + 64));
}

TEST_F(ModelTest, RejectsDtypeOrShapeMismatch) {
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  nlohmann::ordered_json json = testing::testManifest({});
  json["tensors"][5]["dtype"] = "BF16";
  json["tensors"][5]["shape"] = {16};
  json["tensors"][5]["nbytes"] = 32;
  testing::writeManifest(dir.path(), json);
  expectError(weightsPath() + ": tensor 'model.norm.weight' is F32 [8], but " +
              dir.file("manifest.json") + " says BF16 [16]");
}

TEST_F(ModelTest, RejectsManifestVersionMismatchBeforeOpeningWeights) {
  nlohmann::ordered_json json = testing::testManifest({});
  json["abi_version"] = 9;
  testing::writeManifest(dir.path(), json);
  expectError(dir.file("manifest.json") +
                  ": key 'abi_version': the model was compiled for kernel ABI "
                  "version 9",
              StatusCode::kFailedPrecondition);
}

} // namespace
} // namespace sparsec
