"""Use cases (solve; later quiz, grade, explain): they return data and print nothing."""
