# weft_module(<folder> SOURCES ... DEPS ... [TEST_DEPS ...]): one library per folder,
# `weft_<name>` with alias `weft::<name>`, headers beside sources, and its
# unit tests from tests/unit/<folder>/ as `weft_<name>_tests` (ctest label unit),
# integration tests from tests/integration/<folder>/ (label integration).
function(weft_module folder)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS;TEST_DEPS" ${ARGN})
  if(NOT M_NAME)
    string(REPLACE "/" "_" M_NAME "${folder}")
  endif()
  set(target weft_${M_NAME})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${M_DEPS})
  else() # header-only so far
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${M_DEPS})
  endif()
  add_library(weft::${M_NAME} ALIAS ${target})

  file(GLOB test_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/${folder}/*.cpp)
  if(BUILD_TESTING AND test_sources)
    add_executable(${target}_tests ${test_sources})
    target_link_libraries(${target}_tests PRIVATE ${target} weft_test_support Catch2::Catch2WithMain ${M_TEST_DEPS})
    catch_discover_tests(${target}_tests TEST_PREFIX "unit/${M_NAME}/" PROPERTIES LABELS unit)
    set_property(GLOBAL APPEND PROPERTY weft_unit_test_targets ${target}_tests)
  endif()

  # Integration tests (real nats-server / PostgreSQL started by fixtures in
  # tests/support) from tests/integration/<folder>/, label integration.
  file(GLOB it_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/integration/${folder}/*.cpp)
  if(BUILD_TESTING AND it_sources)
    add_executable(${target}_integration_tests ${it_sources})
    target_link_libraries(${target}_integration_tests PRIVATE ${target} weft_test_support Catch2::Catch2WithMain ${M_TEST_DEPS})
    catch_discover_tests(${target}_integration_tests TEST_PREFIX "integration/${M_NAME}/"
                         PROPERTIES LABELS integration RUN_SERIAL TRUE)
    set_property(GLOBAL APPEND PROPERTY weft_integration_test_targets ${target}_integration_tests)
  endif()
endfunction()

# weft_embed_migrations(<out-var> DIR <dir> NAMESPACE <ns> FUNCTION <fn>):
# compiles <dir>/NNNN_<name>.sql into a generated source defining
# `std::span<const weft::migration> <ns>::<fn>()` (cmake/EmbedMigrations.cmake)
# and sets <out-var> to that source, for the module's SOURCES. Adding a file
# reconfigures through the glob.
function(weft_embed_migrations out)
  cmake_parse_arguments(E "" "DIR;NAMESPACE;FUNCTION" "" ${ARGN})
  file(GLOB files CONFIGURE_DEPENDS ${E_DIR}/*.sql)
  string(REPLACE "::" "_" stem "${E_NAMESPACE}_${E_FUNCTION}")
  set(generated ${CMAKE_CURRENT_BINARY_DIR}/${stem}.cpp)
  add_custom_command(
    OUTPUT ${generated}
    COMMAND ${CMAKE_COMMAND} -DMIGRATIONS_DIR=${E_DIR} -DOUTPUT=${generated}
            -DNAMESPACE=${E_NAMESPACE} -DFUNCTION=${E_FUNCTION}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    COMMENT "Embedding SQL migrations of ${E_DIR}"
    VERBATIM)
  set(${out} ${generated} PARENT_SCOPE)
endfunction()
