# weft_module(<folder> SOURCES ... DEPS ...): one library per folder,
# `weft_<name>` with alias `weft::<name>`, headers beside sources, and its
# unit tests from tests/unit/<folder>/ as `weft_<name>_tests` (ctest label unit),
# integration tests from tests/integration/<folder>/ (label integration).
function(weft_module folder)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS" ${ARGN})
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
    target_link_libraries(${target}_tests PRIVATE ${target} weft_test_support Catch2::Catch2WithMain)
    catch_discover_tests(${target}_tests TEST_PREFIX "unit/${M_NAME}/" PROPERTIES LABELS unit)
  endif()

  # Integration tests (real nats-server / PostgreSQL started by fixtures in
  # tests/support) from tests/integration/<folder>/, label integration.
  file(GLOB it_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/integration/${folder}/*.cpp)
  if(BUILD_TESTING AND it_sources)
    add_executable(${target}_integration_tests ${it_sources})
    target_link_libraries(${target}_integration_tests PRIVATE ${target} weft_test_support Catch2::Catch2WithMain)
    catch_discover_tests(${target}_integration_tests TEST_PREFIX "integration/${M_NAME}/"
                         PROPERTIES LABELS integration RUN_SERIAL TRUE)
  endif()
endfunction()
