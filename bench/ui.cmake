# txray-ui frame benchmark (included from ui/CMakeLists.txt when TXRAY_BUILD_BENCH is on).
find_package(benchmark QUIET)
if(benchmark_FOUND)
  add_executable(txray_bench_ui_frame ${PROJECT_SOURCE_DIR}/bench/ui_frame_bench.cpp)
  target_link_libraries(txray_bench_ui_frame PRIVATE txray_ui_app benchmark::benchmark)
endif()
